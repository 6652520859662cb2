"""`a4co stack`: run the local servers (NATS JetStream and Redis) in the foreground."""

import logging
import re
import signal
import time
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from a4co.devstack import DevStackError, Stack
from a4co.devstack.nats import SYNC_ENV

app = typer.Typer(
    help="Run the local servers the services use: NATS JetStream and Redis.", no_args_is_help=True
)

_CREDENTIALS = re.compile(r"(?<=://)([^:/@]*):[^@/]*@")


DEFAULT_RUN_DIR = Path(".run")
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@app.command()
def up(
    run_dir: Annotated[
        Path, typer.Option(help="Where servers keep data, logs and pid files.")
    ] = DEFAULT_RUN_DIR,
    nats_port: Annotated[int | None, typer.Option(help="NATS client port (default: a free one).")] = None,
    redis_port: Annotated[int | None, typer.Option(help="Redis port (default: a free one).")] = None,
    nats_sync: Annotated[
        str | None,
        typer.Option(
            help=f"JetStream sync_interval: `always` (default) or a duration like `1s`; env {SYNC_ENV}."
        ),
    ] = None,
) -> None:
    """Start NATS and Redis (unless NATS_URL / REDIS_URL name others), show where, stop on Ctrl-C."""
    console = Console()
    logging.basicConfig(
        level=logging.INFO, format="%(message)s", handlers=[RichHandler(console=console, show_path=False)]
    )
    # Ctrl-C and SIGTERM both stop the stack, also when it runs as a background job (where the
    # shell leaves SIGINT ignored); while stopping, further signals are ignored so a second Ctrl-C
    # cannot leave a server behind.
    previous = {sig: signal.signal(sig, _interrupt) for sig in STOP_SIGNALS}
    stack: Stack | None = None
    try:
        stack = Stack(run_dir, nats_sync=nats_sync, nats_port=nats_port, redis_port=redis_port)
        stack.start()
        console.print(_summary(stack))
        exports = " ".join(f"{name}={url}" for name, url, ours in _urls(stack) if ours)
        if exports:
            console.print(
                f"to reach it from another shell: export {exports}", soft_wrap=True, highlight=False
            )
        console.print("[bold green]stack is up[/]; Ctrl-C stops it")
        _watch(stack)
    except KeyboardInterrupt:
        console.print("stopping")
    except DevStackError as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    finally:
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        if stack is not None:
            stack.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    console.print("stopped")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGINT (Ctrl-C) and SIGTERM (e.g. from make or a supervisor) stop the stack."""
    del signum, frame
    raise KeyboardInterrupt


def _watch(stack: Stack) -> None:
    """Block until interrupted; a server dying on its own ends the stack with an error."""
    while True:
        time.sleep(0.25)
        for server in stack.dead_servers():
            status = server.process.returncode
            raise DevStackError(
                f"{server.program} (pid {server.process.pid}) exited with status {status}; "
                f"stopping the stack. Last lines of {server.log_file}:\n{server.log_tail(20)}"
            )


def _summary(stack: Stack) -> Table:
    table = Table(title=f"A4CO local stack in {stack.layout.root}", title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("where")
    table.add_column("pid", justify="right")
    table.add_column("data / log")
    if stack.nats is not None:
        nats = stack.nats
        table.add_row(
            "NATS JetStream",
            f"{nats.url}\nmonitor {nats.monitor_url}",
            str(nats.process.pid),
            f"{nats.store_dir}/jetstream (sync_interval {nats.sync})\n{nats.log_file}",
        )
    else:
        table.add_row("NATS", _redact(stack.nats_url), "-", "external (NATS_URL)")
    if stack.redis is not None:
        redis = stack.redis
        persistence = "append-only file, fsync every second" if redis.persistent else "memory only"
        table.add_row(
            "Redis", redis.url, str(redis.process.pid), f"{redis.data_dir} ({persistence})\n{redis.log_file}"
        )
    else:
        table.add_row("Redis", _redact(stack.redis_url), "-", "external (REDIS_URL)")
    if stack.database_url is None:
        table.add_row(
            "databases", "SQLite, one file per service", "-", f"{stack.layout.data_dir}/<service>.db"
        )
    else:
        table.add_row("databases", _redact(stack.database_url), "-", "external (DATABASE_URL), shared")
    table.caption = f"state: {stack.layout.state_file}"
    return table


def _urls(stack: Stack) -> list[tuple[str, str, bool]]:
    """(variable, URL, started by this stack) for NATS and Redis."""
    return [
        ("NATS_URL", stack.nats_url, stack.nats is not None),
        ("REDIS_URL", stack.redis_url, stack.redis is not None),
    ]


def _redact(url: str) -> str:
    """Hide the password of a URL given by the environment."""
    return _CREDENTIALS.sub(r"\1:***@", url)
