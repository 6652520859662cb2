"""`a4co projections`: how far each read model has got, and rebuilding one from its streams.

Projections are discovered in `services/<service>/projections.py` (`PROJECTIONS`). Their checkpoint is
their durable consumers, so `status` reads everything from JetStream and works whether or not the
services run; `rebuild` asks the owning service (NATS request `a4co.admin.<service>.projections.rebuild`)
and, unless told not to, waits until the replay has caught up.
"""

import asyncio
import importlib
import time
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from rich.console import Console
from rich.table import Table
from rich.text import Text

from a4co.cli.streams import EXIT_DIFFERS, EXIT_ERROR, NatsUrl, _connect, _run, resolve_url

if TYPE_CHECKING:
    from services.platform.projections import Projection, ProjectionStatus

app = typer.Typer(
    help="Read models fed by the streams: their lag, and rebuilding them.", no_args_is_help=True
)
console = Console()
err = Console(stderr=True)


def registered() -> "dict[str, Projection]":
    """Every service's projections, by name (services without a `projections` module have none)."""
    from a4co.devstack.marketplace import SERVICES  # noqa: PLC0415 - keeps the CLI's start light

    found: dict[str, Projection] = {}
    for service in SERVICES:
        module_name = f"services.{service}.projections"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name in (module_name, f"services.{service}"):
                continue
            raise
        for projection in getattr(module, "PROJECTIONS", ()):
            found[projection.name] = projection
    return found


@app.command(name="list")
def list_projections() -> None:
    """The projections of every service, with their consumers and tables."""
    table = Table(title="Projections", title_justify="left")
    for column in ("projection", "service", "consumers", "tables"):
        table.add_column(column)
    for name, projection in sorted(registered().items()):
        table.add_row(
            name,
            projection.service,
            "\n".join(projection.consumers),
            ", ".join(t.name for t in projection.tables),
        )
    console.print(table)


@app.command()
def status(
    nats_url: NatsUrl = None,
    service: Annotated[str | None, typer.Option(help="Only this service's projections.")] = None,
) -> None:
    """Lag (messages not yet applied) and ack floor of every projection's consumers, from JetStream.

    Exit 0 when every consumer exists, 1 when one is missing (provision with `a4co streams apply`).
    """
    projections = [p for p in registered().values() if service is None or p.service == service]
    url = resolve_url(nats_url)
    statuses = _run(_statuses(url, projections), url)
    table = Table(title="Projections", title_justify="left")
    for column in ("projection", "consumer", "stream", "lag", "ack floor", "stream last", "state"):
        table.add_column(column, justify="right" if column in {"lag", "ack floor", "stream last"} else "left")
    for projection_status in statuses:
        for n, lag in enumerate(projection_status.consumers):
            state = (
                Text("missing", style="bold red")
                if not lag.exists
                else Text("caught up", style="green")
                if lag.lag == 0
                else Text("catching up", style="yellow")
            )
            table.add_row(
                projection_status.projection.name if n == 0 else "",
                lag.consumer,
                lag.stream,
                str(lag.lag),
                str(lag.ack_floor),
                str(lag.stream_last),
                state,
            )
        table.add_section()
    console.print(table)
    raise typer.Exit(0 if all(s.healthy for s in statuses) else EXIT_DIFFERS)


async def _statuses(url: str, projections: "list[Projection]") -> "list[ProjectionStatus]":
    from a4co_sdk.streams import CONSUMERS  # noqa: PLC0415 - the SDK is generated code
    from services.platform.projections import projection_status  # noqa: PLC0415

    client = await _connect(url)
    try:
        js = client.jetstream()
        return [await projection_status(js, p, CONSUMERS) for p in projections]
    finally:
        await client.close()


@app.command()
def rebuild(
    name: Annotated[str, typer.Argument(help="The projection to rebuild (see `a4co projections list`).")],
    nats_url: NatsUrl = None,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the service, then for the replay.")
    ] = 120.0,
    wait: Annotated[bool, typer.Option(help="Wait until the replay has caught up with the streams.")] = True,
) -> None:
    """Empty a projection and replay its streams into it; the owning service must be running."""
    projections = registered()
    projection = projections.get(name)
    if projection is None:
        err.print(f"[bold red]error:[/] no projection {name!r}; known: {', '.join(sorted(projections))}")
        raise typer.Exit(EXIT_ERROR)
    url = resolve_url(nats_url)
    answer, caught_up = _run(_rebuild(url, projection, within=timeout, wait=wait), url)
    if not answer.get("ok"):
        err.print(f"[bold red]error:[/] {projection.service}: {answer.get('error')}", highlight=False)
        raise typer.Exit(EXIT_ERROR)
    console.print(
        f"[green]rebuilt[/] {name}: emptied {', '.join(answer['tables'])} ({answer['rowsDeleted']} rows), "
        f"consumers recreated from the start in {answer['seconds']:.2f} s",
        highlight=False,
    )
    if caught_up is not None:
        console.print(f"replayed and caught up in {caught_up:.1f} s", highlight=False)
    elif wait:
        err.print(f"[yellow]still replaying after {timeout:.0f} s[/]; see `a4co projections status`")
        raise typer.Exit(EXIT_DIFFERS)


async def _rebuild(
    url: str, projection: "Projection", *, within: float, wait: bool
) -> tuple[dict[str, Any], float | None]:
    from a4co_sdk.streams import CONSUMERS  # noqa: PLC0415 - the SDK is generated code
    from services.platform.projections import admin_subject, projection_status  # noqa: PLC0415

    client = await _connect(url)
    try:
        started = time.monotonic()
        try:
            reply = await client.request(
                admin_subject(projection.service),
                orjson.dumps({"projection": projection.name}),
                timeout=within,
            )
        except NoRespondersError:
            return {
                "ok": False,
                "error": "the service is not running (nobody answers its admin subject)",
            }, None
        except NatsTimeoutError:
            return {"ok": False, "error": f"no answer within {within:.0f} s"}, None
        answer: dict[str, Any] = orjson.loads(reply.data)
        if not answer.get("ok") or not wait:
            return answer, None
        js = client.jetstream()
        deadline = started + within
        while time.monotonic() < deadline:
            current = await projection_status(js, projection, CONSUMERS)
            if current.healthy and current.lag == 0:
                return answer, time.monotonic() - started
            await asyncio.sleep(0.2)
        return answer, None
    finally:
        await client.close()
