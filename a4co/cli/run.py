"""`a4co run`: the whole marketplace on this machine, in the foreground, until Ctrl-C."""

import asyncio
import logging
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import nats
import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from a4co.cli.stack import DEFAULT_RUN_DIR, STOP_SIGNALS, _interrupt, _summary
from a4co.devstack import DevStackError, Stack
from a4co.devstack.marketplace import SERVICES, Marketplace

if TYPE_CHECKING:
    from a4co.seed.loader import SeedReport


def run(
    run_dir: Annotated[
        Path, typer.Option(help="Where servers and services keep data, logs and pid files.")
    ] = (DEFAULT_RUN_DIR),
    services: Annotated[
        str, typer.Option(help="Comma-separated services to start (default: all of them).")
    ] = ",".join(SERVICES),
    seed: Annotated[
        bool, typer.Option(help="Load the Jaén catalogue and the test customers (idempotent) once ready.")
    ] = True,
) -> None:
    """Start NATS, Redis and every service; provision the contract's streams; stop cleanly on Ctrl-C."""
    console = Console()
    logging.basicConfig(
        level=logging.INFO, format="%(message)s", handlers=[RichHandler(console=console, show_path=False)]
    )
    previous = {sig: signal.signal(sig, _interrupt) for sig in STOP_SIGNALS}
    stack: Stack | None = None
    market: Marketplace | None = None
    try:
        stack = Stack(run_dir)
        stack.start()
        console.print(_summary(stack))
        market = Marketplace(stack, [s for s in services.split(",") if s])
        started = time.monotonic()
        market.start()
        console.print(_services(market, time.monotonic() - started))
        for warning in market.provisioning_warnings:
            console.print(f"[yellow]provisioning:[/] {warning}", highlight=False)
        if seed:
            report = asyncio.run(_seed(stack.nats_url, stack.layout.root / "keys"))
            console.print(
                f"seeded {report.artisans} artisans, {report.products} products, {report.customers} "
                f"customers through their events ({report.stored} stored, {report.duplicates} already there)",
                highlight=False,
            )
        entry = market.url("gateway") if "gateway" in market.processes else "(no gateway)"
        console.print(
            f"[bold green]the marketplace is up[/] at {entry}: try `a4co demo --orders 20`; Ctrl-C stops it",
            highlight=False,
        )
        _watch(market)
    except KeyboardInterrupt:
        console.print("stopping")
    except DevStackError as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    finally:
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        if market is not None:
            market.stop()
        if stack is not None:
            stack.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    console.print("stopped")


async def _seed(nats_url: str, keys_dir: Path) -> "SeedReport":
    from a4co.seed.loader import load_seed  # noqa: PLC0415 - needs the generated SDK
    from services.platform.security import KeyStore  # noqa: PLC0415

    client = await nats.connect(nats_url, connect_timeout=5)
    try:
        return await load_seed(client.jetstream(), KeyStore(keys_dir))
    finally:
        await client.close()


def _watch(market: Marketplace) -> None:
    """Block until interrupted; a service that dies on its own ends the run with its log tail."""
    while True:
        time.sleep(0.5)
        for name in market.dead():
            raise DevStackError(
                f"service {name} exited; last lines of its log:\n{market.process(name).log_tail(20)}"
            )


def _services(market: Marketplace, seconds: float) -> Table:
    table = Table(title=f"services (ready in {seconds:.1f} s)", title_justify="left")
    table.add_column("service", style="bold")
    table.add_column("url")
    table.add_column("pid", justify="right")
    table.add_column("log")
    for name, service in market.processes.items():
        table.add_row(name, service.url, str(service.process.pid), str(service.process.log_file))
    return table
