"""`a4co dlq`: the dead letters in the DLQ stream — list them, show one, replay them, purge them.

A dead letter holds the failed message exactly as its consumer received it (decision 010). `replay`
publishes that original message again, to its original subject, under a new `Nats-Msg-Id`
(`<event-id>.replay.<dlq sequence>`: the original id may still be inside the stream's duplicate window)
and with the same `event-id`, then deletes the dead letter. Use it once the cause is gone — a bug fixed,
a contract relaxed, a peer back: every consumer of the subject sees the message again, and the ones that
processed it already recognise its event id (inbox) and business ids.

Exit codes: 0 done, 1 nothing matched or the question was declined, 2 NATS could not be reached (or a
replay could not be published). The SDK and the service are imported inside the commands so that a stale
or half-written generated/ never stops `a4co codegen generate`.
"""

import asyncio
import re
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import nats
import orjson
import typer
from nats.errors import Error as NatsError
from nats.errors import NoServersError
from nats.js.errors import APIError, NotFoundError
from rich.console import Console, Group
from rich.json import JSON
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from a4co.cli.streams import NatsUrl, redact, resolve_url

if TYPE_CHECKING:
    from nats.aio.client import Client

    from services.dlq.adapters.jetstream import DeadLetterStream, StoredDeadLetter

app = typer.Typer(
    help="Inspect, replay and purge the dead letter queue (the DLQ stream).", no_args_is_help=True
)
console = Console()
err = Console(stderr=True)

T = TypeVar("T")

EXIT_NOTHING = 1
EXIT_ERROR = 2
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

Subject = Annotated[
    str | None,
    typer.Option(
        "--subject",
        "-s",
        help="Only dead letters of this original subject (NATS wildcards allowed: 'payment.>').",
        show_default=False,
    ),
]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do it without asking.")]


class StreamMissingError(Exception):
    """The server has no DLQ stream."""


@app.command("list")
def list_dead_letters(
    subject: Subject = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Show at most this many.")] = 50,
    nats_url: NatsUrl = None,
) -> None:
    """List dead letters, oldest first: sequence, time, original subject, service, kind, error, attempts.

    Exit 0 when there are some, 1 when there are none, 2 when NATS cannot be reached.
    """
    url = resolve_url(nats_url)
    raise typer.Exit(_run(_list(url, subject, limit), url))


@app.command()
def show(
    seq: Annotated[int, typer.Argument(min=1, help="Sequence of the dead letter in the DLQ stream.")],
    nats_url: NatsUrl = None,
) -> None:
    """Show one dead letter in full: where it failed and why, the original headers, body and stack.

    Exit 0 when shown, 1 when there is no dead letter with that sequence, 2 when NATS cannot be reached.
    """
    url = resolve_url(nats_url)
    raise typer.Exit(_run(_show(url, seq), url))


@app.command()
def replay(
    seq: Annotated[
        int | None, typer.Argument(min=1, help="Sequence of the dead letter to replay.", show_default=False)
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Replay every dead letter (of --subject).")] = False,
    subject: Subject = None,
    yes: Yes = False,
    nats_url: NatsUrl = None,
) -> None:
    """Publish failed messages again to their original subject, then delete them from the DLQ.

    The original body and headers are sent with a new Nats-Msg-Id and the same event-id. Exit 0 when
    every one was replayed, 1 when nothing matched or the question was declined, 2 when NATS cannot be
    reached or a message could not be published (it stays in the DLQ).
    """
    if (seq is None) == (not all_):
        raise typer.BadParameter("give a sequence or --all (not both)", param_hint="SEQ / --all")
    if subject is not None and not all_:
        raise typer.BadParameter("--subject selects dead letters for --all", param_hint="--subject")
    url = resolve_url(nats_url)
    raise typer.Exit(_run(_replay(url, seq, subject, yes=yes), url))


@app.command()
def purge(
    older_than: Annotated[
        str | None,
        typer.Option(
            "--older-than",
            help="Only dead letters stored longer ago than this: 30s, 15m, 12h, 7d, 2w.",
            show_default=False,
        ),
    ] = None,
    subject: Subject = None,
    yes: Yes = False,
    nats_url: NatsUrl = None,
) -> None:
    """Delete dead letters for good (all of them, or those older than --older-than / of --subject).

    Exit 0 when deleted, 1 when nothing matched or the question was declined, 2 when NATS cannot be reached.
    """
    age = parse_duration(older_than) if older_than is not None else None
    url = resolve_url(nats_url)
    raise typer.Exit(_run(_purge(url, age, subject, yes=yes), url))


def parse_duration(text: str) -> timedelta:
    """`7d`, `12h`, `30m`, `45s`, `2w`, `1.5h`; typer.BadParameter otherwise."""
    match = _DURATION.match(text)
    if match is None:
        raise typer.BadParameter(
            f"{text!r} is not a duration: a number and a unit, s m h d or w (7d, 12h, 30m)",
            param_hint="--older-than",
        )
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


# -- connecting and running ----------------------------------------------------------------------------


def _run(work: Coroutine[Any, Any, int], url: str) -> int:
    """Run a command; connection failures and a missing DLQ stream exit 2 with one readable line."""
    try:
        return asyncio.run(work)
    except StreamMissingError:
        err.print(
            f"[bold red]error:[/] {redact(url)} has no DLQ stream; create the contract's streams with "
            "`a4co streams apply`",
            highlight=False,
        )
    except APIError as exc:  # the server answered, and said no (a subject filter it cannot take, ...)
        err.print(
            f"[bold red]error:[/] JetStream refused the request: {escape(exc.description or str(exc))}",
            highlight=False,
        )
    except (NatsError, OSError, TimeoutError) as exc:
        err.print(
            f"[bold red]error:[/] cannot talk to NATS at {redact(url)} "
            f"({type(exc).__name__}: {escape(str(exc))}); "
            "start it with `a4co stack up` or point --nats-url / NATS_URL at it",
            highlight=False,
        )
    return EXIT_ERROR


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


async def _open(client: "Client") -> "DeadLetterStream":
    from services.dlq.adapters.jetstream import DeadLetterStream  # noqa: PLC0415 - see the module docstring

    dead_letters = DeadLetterStream(client.jetstream())
    try:
        await client.jetstream().stream_info(dead_letters.stream)
    except NotFoundError as exc:
        raise StreamMissingError from exc
    return dead_letters


async def _confirm(question: str) -> bool:
    # Asked in a thread so the event loop keeps answering the server's PINGs while a person reads.
    return bool(await asyncio.to_thread(typer.confirm, question))


# -- list and show -------------------------------------------------------------------------------------


async def _list(url: str, subject: str | None, limit: int) -> int:
    client = await _connect(url)
    try:
        stream = await _open(client)
        total = await stream.matching(subject)
        if not total:
            console.print(f"no dead letters{_of(subject)}", markup=False)
            return EXIT_NOTHING
        rows = [stored async for stored in stream.scan(subject, limit=limit)]
    finally:
        await client.close()
    console.print(_list_table(rows, subject))
    console.print(
        f"{len(rows)} of {total} dead letters{_of(subject)}, oldest first", markup=False, highlight=False
    )
    return 0


def _of(subject: str | None) -> str:
    return f" of {subject}" if subject else ""


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _list_table(rows: "list[StoredDeadLetter]", subject: str | None) -> Table:
    table = Table(title=Text(f"Dead letters in DLQ{_of(subject)}"), title_justify="left")
    for column in ("seq", "stored (UTC)", "original subject", "service / consumer", "kind", "error"):
        table.add_column(column, overflow="fold")
    table.add_column("attempts", justify="right")
    for stored in rows:
        letter = stored.letter
        if letter is None:
            table.add_row(
                str(stored.sequence),
                _when(stored.stored_at),
                Text(stored.original_subject),
                "?",
                Text("not a dead letter", style="red"),
                Text(_short(stored.problem or ""), style="red"),
                "",
            )
            continue
        retries = letter.event.headers.get("a4co-dlq-retries")
        attempts = Text(f"{letter.attempts}" + (f" (+{retries} retries)" if retries else ""))
        table.add_row(
            str(stored.sequence),
            _when(stored.stored_at),
            Text(letter.original_subject),
            Text(f"{letter.service} / {letter.consumer}"),
            Text(letter.failure_kind.value, style=_KIND_STYLE.get(letter.failure_kind.value, "")),
            Text(_short(f"{letter.error.name}: {letter.error.message}")),
            attempts,
        )
    return table


_KIND_STYLE = {"undecodable": "magenta", "invalid": "yellow", "handler_error": "red"}


def _short(text: str, width: int = 80) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


async def _show(url: str, seq: int) -> int:
    client = await _connect(url)
    try:
        stream = await _open(client)
        stored = await stream.get(seq)
    finally:
        await client.close()
    if stored is None:
        err.print(f"no dead letter with sequence {seq} in DLQ", highlight=False)
        return EXIT_NOTHING
    console.print(_record(stored))
    return 0


def _record(stored: "StoredDeadLetter") -> Group:
    head = f"Dead letter {stored.sequence} — stored {_when(stored.stored_at)} UTC on {stored.subject}"
    letter = stored.letter
    if letter is None:
        return Group(
            Text(head, style="bold"),
            Text(f"not a contract DeadLetter: {stored.problem}", style="red"),
            Panel(stored.data.decode(errors="replace"), title="raw body"),
        )
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column(overflow="fold")
    headers = letter.event.headers
    for name, value in (
        ("original subject", letter.original_subject),
        ("service", letter.service),
        ("consumer", letter.consumer),
        ("kind", letter.failure_kind.value),
        ("error", f"{letter.error.name}: {letter.error.message}"),
        ("attempts", str(letter.attempts)),
        ("automatic retries", headers.get("a4co-dlq-retries", "0")),
        ("moved to DLQ at", letter.moved_to_dlq_at.isoformat()),
        ("original stream sequence", str(letter.stream_sequence)),
        ("event id", headers.get("event-id", "(none)")),
    ):
        facts.add_row(name, Text(value))
    header_table = Table(title="Original headers", title_justify="left")
    header_table.add_column("header")
    header_table.add_column("value", overflow="fold")
    for name, value in sorted(headers.items()):
        header_table.add_row(name, Text(value))
    return Group(
        Text(head, style="bold"),
        facts,
        header_table,
        Panel(_body(letter.event.body, letter.event.body_encoding.value), title="Original body"),
        Panel(Text(letter.error.stack or "(no stack recorded)"), title="Stack"),
    )


def _body(body: str, encoding: str) -> JSON | Text:
    if encoding != "utf-8":
        return Text(f"({encoding}) {body}")
    try:
        orjson.loads(body)
    except orjson.JSONDecodeError:
        return Text(body)
    return JSON(body)


# -- replay --------------------------------------------------------------------------------------------


async def _replay(url: str, seq: int | None, subject: str | None, *, yes: bool) -> int:
    from services.dlq.application.handlers import in_public_stream  # noqa: PLC0415 - see the docstring

    client = await _connect(url)
    try:
        stream = await _open(client)
        if seq is not None:
            found = await stream.get(seq)
            if found is None:
                err.print(f"no dead letter with sequence {seq} in DLQ", highlight=False)
                return EXIT_NOTHING
            candidates = [found]
        else:
            candidates = [stored async for stored in stream.scan(subject)]
        chosen = []
        for stored in candidates:
            if stored.letter is None:
                err.print(
                    f"skipped {stored.sequence}: not a contract DeadLetter ({_short(stored.problem or '')})",
                    markup=False,
                    highlight=False,
                )
            elif not in_public_stream(stored.letter.original_subject):
                err.print(
                    f"skipped {stored.sequence}: {stored.letter.original_subject} is in no public stream "
                    "(event stores are written by their owner only)",
                    markup=False,
                    highlight=False,
                )
            else:
                chosen.append(stored)
        if not chosen:
            console.print(f"nothing to replay{_of(subject)}", markup=False)
            return EXIT_NOTHING
        console.print(_list_table(chosen, subject))
        if not yes and not await _confirm(f"Replay {len(chosen)} message(s) to their original subject?"):
            console.print("nothing replayed")
            return EXIT_NOTHING
        failed = 0
        for stored in chosen:
            failed += not await _replay_one(client, stream, stored)
    finally:
        await client.close()
    replayed = len(chosen) - failed
    console.print(f"{replayed} replayed" + (f", {failed} left in the DLQ" if failed else ""), highlight=False)
    return EXIT_ERROR if failed else 0


async def _replay_one(client: "Client", stream: "DeadLetterStream", stored: "StoredDeadLetter") -> bool:
    from services.dlq.adapters.jetstream import publish  # noqa: PLC0415 - see the module docstring
    from services.dlq.application.handlers import MESSAGE_ID_HEADER  # noqa: PLC0415
    from services.dlq.application.ports import RetryRefusedError  # noqa: PLC0415
    from services.dlq.domain.redelivery import original_body, redelivery, replay_message_id  # noqa: PLC0415

    letter = stored.letter
    assert letter is not None
    original = letter.event
    try:
        body = original_body(original.body, original.body_encoding.value)
    except ValueError as exc:
        err.print(f"[red]not replayed[/] {stored.sequence}: {escape(str(exc))}", highlight=False)
        return False
    message = redelivery(
        letter.original_subject,
        body,
        original.headers,
        message_id=replay_message_id(original.headers.get(MESSAGE_ID_HEADER), stored.sequence),
        replayed_from=stored.sequence,
    )
    try:
        ack = await publish(client.jetstream(), message)
    except (RetryRefusedError, NatsError, TimeoutError) as exc:
        err.print(f"[red]not replayed[/] {stored.sequence}: {escape(str(exc))}", highlight=False)
        return False
    await stream.delete(stored.sequence)
    note = " (already stored: a duplicate)" if ack.duplicate else ""
    console.print(
        f"replayed {stored.sequence} -> {message.subject} (stream {ack.stream} seq {ack.seq}, "
        f"Nats-Msg-Id {message.message_id}){note}",
        markup=False,
        highlight=False,
    )
    return True


# -- purge ---------------------------------------------------------------------------------------------


async def _purge(url: str, age: timedelta | None, subject: str | None, *, yes: bool) -> int:
    client = await _connect(url)
    try:
        stream = await _open(client)
        # Only what is there now: dead letters arriving while the question is on screen are kept.
        before = await stream.last_sequence() + 1
        total = await stream.matching(subject)
        what = f"dead letters{_of(subject)}"
        if age is not None:
            cutoff = datetime.now(UTC) - age
            newer = await stream.first_sequence_since(subject, cutoff)
            if newer is not None:
                before = min(before, newer)
                total -= await stream.matching(subject, since=cutoff)
            what += f" stored before {_when(cutoff)} UTC"
        if total <= 0:
            console.print(f"no {what}", markup=False)
            return EXIT_NOTHING
        if not yes and not await _confirm(f"Delete {total} {what} for good?"):
            console.print("nothing purged")
            return EXIT_NOTHING
        await stream.purge(subject, before_sequence=before)
    finally:
        await client.close()
    console.print(f"purged {total} {what}", markup=False, highlight=False)
    return 0
