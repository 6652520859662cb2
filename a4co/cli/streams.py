"""`a4co streams`: compare the broker's JetStream streams and consumers with the contract, and provision them.

The work is done by the SDK's `provisioning` runtime (integrators can call it too); this module connects,
renders its plan and results as tables, and turns them into exit codes CI can use. The SDK is imported
inside the commands so that a stale or half-written generated/ never stops `a4co codegen generate`.
"""

import asyncio
import os
import re
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import nats
import typer
from nats.errors import Error as NatsError
from nats.errors import NoServersError
from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from nats.aio.client import Client

    from a4co_sdk._runtime.provisioning import (
        Action,
        Conflict,
        ConsumerChange,
        Difference,
        Plan,
        Result,
        StreamChange,
    )

app = typer.Typer(
    help="Provision the contract's JetStream streams and durable consumers on a NATS server.",
    no_args_is_help=True,
)
console = Console()
err = Console(stderr=True)

T = TypeVar("T")

DEFAULT_NATS_URL = "nats://127.0.0.1:4222"
EXIT_DIFFERS = 1
EXIT_ERROR = 2

NatsUrl = Annotated[
    str | None,
    typer.Option(
        "--nats-url",
        help=f"NATS server (default: $NATS_URL, else {DEFAULT_NATS_URL}).",
        show_default=False,
    ),
]

_ACTION_STYLE = {"create": "green", "update": "yellow", "conflict": "bold red", "unchanged": "dim"}
_OUTCOME_STYLE = {"created": "green", "updated": "yellow", "recreated": "magenta", "skipped": "bold red"}
_CREDENTIALS = re.compile(r"(?<=://)[^/@]*@")
_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


@app.command()
def diff(nats_url: NatsUrl = None) -> None:
    """Show how the server differs from the contract: exit 1 when it differs, 0 when in sync, 2 on errors."""
    url = resolve_url(nats_url)
    plan = _run(_plan_only(url), url)
    render_plan(plan, url)
    raise typer.Exit(0 if plan.in_sync else EXIT_DIFFERS)


@app.command()
def apply(
    nats_url: NatsUrl = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking.")] = False,
    allow_conflicts: Annotated[
        bool,
        typer.Option(
            help="Delete and recreate consumers whose differences cannot be applied in place (they lose "
            "their position). Streams are never recreated."
        ),
    ] = False,
) -> None:
    """Show the difference, ask, then create and update streams and consumers to match the contract.

    Exit 0 when the server matches the contract afterwards, 1 when conflicts were left as they are or the
    changes were declined, 2 on errors.
    """
    url = resolve_url(nats_url)
    raise typer.Exit(_run(_plan_and_apply(url, yes=yes, allow_conflicts=allow_conflicts), url))


def resolve_url(option: str | None) -> str:
    """--nats-url, else NATS_URL, else the local default."""
    return option or os.environ.get("NATS_URL") or DEFAULT_NATS_URL


def redact(url: str) -> str:
    """The URL without its user and password, fit to print."""
    return _CREDENTIALS.sub("***@", url)


# -- connecting and running ----------------------------------------------------------------------------


def _run(work: Coroutine[Any, Any, T], url: str) -> T:
    """Run a command's coroutine; connection and provisioning failures exit 2 with one readable line."""
    from a4co_sdk import ProvisioningError  # noqa: PLC0415 - see the module docstring

    try:
        return asyncio.run(work)
    except ProvisioningError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
    except (NatsError, OSError, TimeoutError) as exc:
        err.print(
            f"[bold red]error:[/] cannot talk to NATS at {redact(url)} ({type(exc).__name__}: {exc}); "
            "start it with `a4co stack up` or point --nats-url / NATS_URL at it",
            highlight=False,
        )
    raise typer.Exit(EXIT_ERROR)


async def _connect(url: str) -> "Client":
    """One short try (nats-py otherwise retries an unreachable server for minutes), errors kept quiet."""
    seen: list[Exception] = []

    async def remember(exc: Exception) -> None:
        seen.append(exc)

    try:
        return await nats.connect(
            url,
            connect_timeout=3,
            allow_reconnect=False,
            max_reconnect_attempts=1,
            reconnect_time_wait=0.2,
            error_cb=remember,
        )
    except NoServersError as exc:
        raise ConnectionError(str(seen[-1]) if seen else str(exc)) from exc


async def _make_plan(client: "Client") -> "Plan":
    from a4co_sdk._runtime.provisioning import plan  # noqa: PLC0415 - see the module docstring
    from a4co_sdk.streams import CONSUMERS, STREAMS  # noqa: PLC0415

    return await plan(client.jetstream(), STREAMS, CONSUMERS)


async def _plan_only(url: str) -> "Plan":
    client = await _connect(url)
    try:
        return await _make_plan(client)
    finally:
        await client.close()


async def _plan_and_apply(url: str, *, yes: bool, allow_conflicts: bool) -> int:
    from a4co_sdk._runtime.provisioning import apply as apply_plan  # noqa: PLC0415 - see the module docstring

    client = await _connect(url)
    try:
        plan = await _make_plan(client)
        render_plan(plan, url)
        if plan.in_sync:
            console.print("[green]nothing to do[/]: the server matches the contract")
            return 0
        if not _has_work(plan, allow_conflicts=allow_conflicts):
            console.print("[bold red]nothing can be applied[/]: only conflicts remain (see above)")
            return EXIT_DIFFERS
        # Asked in a thread so the event loop keeps answering the server's PINGs while a person reads.
        if not yes and not await asyncio.to_thread(typer.confirm, "Apply these changes?"):
            console.print("nothing applied")
            return EXIT_DIFFERS
        started = time.perf_counter()
        results = await apply_plan(client.jetstream(), plan, allow_conflicts=allow_conflicts)
        render_results(results, time.perf_counter() - started)
        return EXIT_DIFFERS if any(r.outcome == "skipped" for r in results) else 0
    finally:
        await client.close()


def _has_work(plan: "Plan", *, allow_conflicts: bool) -> bool:
    if plan.count("create") or plan.count("update"):
        return True
    return allow_conflicts and any(c.action == "conflict" and c.current is not None for c in plan.consumers)


# -- rendering -----------------------------------------------------------------------------------------


def render_plan(plan: "Plan", url: str) -> None:
    """Print the plan: streams, consumers, warnings, unmanaged items and a one-line summary."""
    cluster = plan.cluster
    console.print(f"[bold]{redact(url)}[/]: {cluster.source}", highlight=False)
    console.print(_streams_table(plan.streams))
    console.print(_consumers_table(plan.consumers))
    for warning in plan.warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    for item in plan.unmanaged:
        what = (
            f"consumer {item.consumer} of stream {item.stream}" if item.consumer else f"stream {item.stream}"
        )
        subjects = f" ({', '.join(item.subjects)})" if item.subjects else ""
        console.print(f"[cyan]not in the contract, left alone:[/] {what}{subjects}", highlight=False)
    console.print(_summary(plan))


def _streams_table(changes: "tuple[StreamChange, ...]") -> Table:
    table = Table(title="Streams", title_justify="left", show_lines=False)
    for column in ("action", "stream", "replicas", "details (server -> contract)"):
        table.add_column(column)
    for change in changes:
        style = _ACTION_STYLE[change.action]
        replicas = str(change.replicas)
        if change.replicas != change.spec.num_replicas:
            replicas += f" (contract {change.spec.num_replicas})"
        if change.action == "create":
            spec = change.spec
            subjects = ", ".join(spec.subjects)
            age = f"max_age {_duration(spec.max_age)}" if spec.max_age else "no max_age"
            details = Text(f"{subjects}; {spec.retention}, {spec.storage}, {age}")
        else:
            details = _details(change.differences, change.conflicts)
        table.add_row(Text(change.action, style=style), change.name, replicas, details)
    return table


def _consumers_table(changes: "tuple[ConsumerChange, ...]") -> Table:
    table = Table(title="Consumers", title_justify="left")
    for column in ("action", "consumer", "stream", "details (server -> contract)"):
        table.add_column(column)
    for change in changes:
        style = _ACTION_STYLE[change.action]
        if change.action == "create":
            spec = change.spec
            filters = ", ".join(spec.filter_subjects) or "whole stream"
            details = Text(f"{filters}; {spec.deliver_policy}, max_deliver {spec.max_deliver}")
        else:
            details = _details(change.differences, change.conflicts)
        table.add_row(Text(change.action, style=style), change.name, change.stream, details)
    return table


def _details(differences: "tuple[Difference, ...]", conflicts: "tuple[Conflict, ...]") -> Text:
    text = Text()
    for d in differences:
        text.append(f"{d.field}: {_value(d.field, d.server)} -> {_value(d.field, d.contract)}\n")
    for c in conflicts:
        text.append(f"cannot apply: {c.reason}\n", style="red")
        text.append(f"  what to do: {c.remedy}\n")
    text.rstrip()
    return text


def _value(field: str, value: object) -> str:
    from a4co_sdk._runtime.provisioning import DURATION_FIELDS  # noqa: PLC0415 - see the module docstring

    if value is None:
        return "(unset)"
    if field in DURATION_FIELDS and isinstance(value, tuple):
        return "[" + ", ".join(_value(field, v) for v in value) + "]"
    if field in DURATION_FIELDS and isinstance(value, int | float):
        return _duration(float(value))
    if isinstance(value, tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return repr(value) if isinstance(value, str) else str(value)


def _duration(seconds: float) -> str:
    """Seconds the way the contract writes them: 30d, 2m, 1500ms."""
    if seconds == 0:
        return "0s"
    for unit, size in _UNITS:
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{round(seconds * 1000)}ms"


def _summary(plan: "Plan") -> str:
    actions: tuple[Action, ...] = ("create", "update", "conflict", "unchanged")
    counts = ", ".join(
        f"{n} to {action}" if action in {"create", "update"} else f"{n} {action}"
        for action in actions
        if (n := plan.count(action))
    )
    state = "[green]in sync[/]" if plan.in_sync else "[bold yellow]differs from the contract[/]"
    unmanaged = f"; {len(plan.unmanaged)} not in the contract" if plan.unmanaged else ""
    return f"{len(plan.streams)} streams, {len(plan.consumers)} consumers: {counts}{unmanaged} — {state}"


def render_results(results: "list[Result]", seconds: float) -> None:
    """Print what apply did (unchanged items only as a count)."""
    table = Table(title="Applied", title_justify="left")
    for column in ("outcome", "kind", "name", "detail"):
        table.add_column(column)
    for result in results:
        if result.outcome != "unchanged":
            name = result.name if result.kind == "stream" else f"{result.name} ({result.stream})"
            style = _OUTCOME_STYLE[result.outcome]
            table.add_row(Text(result.outcome, style=style), result.kind, name, Text(result.detail))
    console.print(table)
    tally: dict[str, int] = {}
    for result in results:
        tally[result.outcome] = tally.get(result.outcome, 0) + 1
    console.print(
        ", ".join(f"{n} {outcome}" for outcome, n in tally.items()) + f" in {seconds * 1000:.0f} ms",
        highlight=False,
    )
