"""`a4co dlq list / show / replay / purge` against a real nats-server, and a replay after the fix."""

import asyncio
import contextlib
import dataclasses
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from typer.testing import CliRunner

from a4co.cli.app import app
from a4co.cli.dlq import parse_duration
from a4co_sdk import Received
from a4co_sdk._runtime.consuming import BatchConsumer
from a4co_sdk._runtime.jetstream_config import consumer_config, stream_config
from a4co_sdk._runtime.specs import ConsumerSpec
from a4co_sdk._runtime.subscribing import Dispatcher, Route
from a4co_sdk.models import delivery
from a4co_sdk.operations import ORDER_RECEIVES_DELIVERY_SCHEDULED
from a4co_sdk.publishers.delivery import DeliveryPublishers
from a4co_sdk.streams import DELIVERIES_STREAM, DLQ_STREAM, LOYALTY_STREAM
from services.platform import inbox, outbox  # noqa: F401 - registers the platform's tables
from services.platform.batching import transactional_batch
from services.platform.database import Database
from services.platform.dead_letters import DeadLetterQueue
from services.platform.unit_of_work import SqlUnitOfWork
from tests.devstack.helpers import A4CO
from tests.services.dlq.helpers import (
    STREAM,
    SUBJECT,
    dead_letter,
    delivery_scheduled,
    invalid,
    original,
    transient,
)

pytestmark = pytest.mark.integration

WIDE = {"COLUMNS": "250"}
OTHER_SUBJECT = "loyalty.points.earned.v1"


async def invoke(*args: str, stdin: str | None = None) -> Any:
    """In-process; in a thread because the command runs its own event loop."""
    return await asyncio.to_thread(CliRunner().invoke, app, ["dlq", *args], input=stdin, env=WIDE)


def run_a4co(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The command as a person runs it: its own process, NATS_URL from the environment."""
    environ = {**os.environ, **WIDE, **env}
    return subprocess.run(
        [A4CO, "dlq", *args], capture_output=True, text=True, env=environ, timeout=60, check=False
    )


@pytest.fixture
async def streams(js: JetStreamContext) -> JetStreamContext:
    """The DLQ stream and the streams the dead letters' messages came from."""
    for spec in (DLQ_STREAM, DELIVERIES_STREAM, LOYALTY_STREAM):
        await js.add_stream(stream_config(spec, replicas=1))
    return js


async def in_dlq(js: JetStreamContext) -> list[int]:
    state = (await js.stream_info(DLQ_STREAM.name)).state
    found = []
    for seq in range(state.first_seq or 1, (state.last_seq or 0) + 1):
        with contextlib.suppress(NotFoundError):
            found.append((await js.get_msg(DLQ_STREAM.name, seq)).seq)
    return found


async def three_dead_letters(js: JetStreamContext) -> tuple[int, int, int]:
    first = await dead_letter(js, original(js), kind="handler_error", error=transient())
    second = await dead_letter(js, original(js), kind="invalid", error=invalid())
    elsewhere = dataclasses.replace(original(js), subject=OTHER_SUBJECT)
    third = await dead_letter(js, elsewhere, kind="handler_error", error=KeyError("tier"), service="loyalty")
    return first, second, third


async def test_list_shows_dead_letters_oldest_first_and_filters_them(streams, nats_url) -> None:
    first, second, third = await three_dead_letters(streams)

    listed = await asyncio.to_thread(run_a4co, "list", env={"NATS_URL": nats_url})
    assert listed.returncode == 0, listed.stderr
    out = listed.stdout
    assert out.index(f"│ {first} ") < out.index(f"│ {second} ") < out.index(f"│ {third} ")
    assert "order / order-on-delivery-scheduled" in out
    assert "TimeoutError: the database did not answer in 5 s" in out
    assert "DecodeError: DeliveryScheduled: trackingCode does not match" in out
    assert "loyalty / order-on-delivery-scheduled" in out
    assert "3 of 3 dead letters, oldest first" in out

    only = await invoke("list", "--subject", SUBJECT, "--nats-url", nats_url)
    assert only.exit_code == 0, only.output
    assert "2 of 2 dead letters of delivery.scheduled.v1" in only.output
    assert OTHER_SUBJECT not in only.output

    wildcard = await invoke("list", "--subject", "loyalty.>", "--nats-url", nats_url)
    assert "1 of 1 dead letters of loyalty.>" in wildcard.output

    limited = await invoke("list", "--limit", "1", "--nats-url", nats_url)
    assert "1 of 3 dead letters" in limited.output
    assert "invalid" not in limited.output

    none = await invoke("list", "--subject", "payment.refunded.v1", "--nats-url", nats_url)
    assert none.exit_code == 1
    assert "no dead letters of payment.refunded.v1" in none.output


async def test_show_prints_the_whole_record(streams, nats_url) -> None:
    message = original(streams)
    seq = await dead_letter(streams, message, kind="handler_error", error=transient())

    shown = await invoke("show", str(seq), "--nats-url", nats_url)
    assert shown.exit_code == 0, shown.output
    out = shown.output
    assert f"Dead letter {seq}" in out
    assert "original subject" in out
    assert SUBJECT in out
    assert "order-on-delivery-scheduled" in out
    assert "TimeoutError: the database did not answer in 5 s" in out
    assert "Nats-Msg-Id" in out
    assert str(message.message_id) in out  # the event id, and the original Nats-Msg-Id
    assert '"trackingCode": "JAE2340012345678901"' in out  # the body, pretty-printed
    assert "Traceback (most recent call last)" in out

    missing = await invoke("show", str(seq + 100), "--nats-url", nats_url)
    assert missing.exit_code == 1
    assert f"no dead letter with sequence {seq + 100}" in missing.output


async def test_replay_sends_the_original_under_a_new_msg_id_and_deletes_the_dead_letter(
    streams, nats_url
) -> None:
    message = original(streams)
    event_id = str(message.message_id)
    seq = await dead_letter(streams, message, kind="invalid", error=invalid())

    replayed = await invoke("replay", str(seq), "--yes", "--nats-url", nats_url)
    assert replayed.exit_code == 0, replayed.output
    assert f"replayed {seq} -> {SUBJECT}" in replayed.output

    again = await streams.get_last_msg(STREAM, SUBJECT)
    headers = again.headers or {}
    assert headers["Nats-Msg-Id"] == f"{event_id}.replay.{seq}"
    assert headers["event-id"] == event_id
    assert headers["a4co-dlq-replayed-from"] == str(seq)
    assert again.data == message.body
    assert await in_dlq(streams) == []

    twice = await invoke("replay", str(seq), "--yes", "--nats-url", nats_url)
    assert twice.exit_code == 1
    assert f"no dead letter with sequence {seq}" in twice.output


async def test_replay_all_asks_first_and_keeps_to_its_subject(streams, nats_url) -> None:
    first, second, third = await three_dead_letters(streams)

    declined = await invoke("replay", "--all", "--nats-url", nats_url, stdin="n\n")
    assert declined.exit_code == 1
    assert "Replay 3 message(s)" in declined.output
    assert "nothing replayed" in declined.output
    assert await in_dlq(streams) == [first, second, third]

    accepted = await invoke("replay", "--all", "--subject", SUBJECT, "--nats-url", nats_url, stdin="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert "2 replayed" in accepted.output
    assert await in_dlq(streams) == [third]
    assert await streams.stream_info(STREAM, subjects_filter=SUBJECT) is not None

    nothing = await invoke("replay", "--all", "--subject", SUBJECT, "--yes", "--nats-url", nats_url)
    assert nothing.exit_code == 1
    assert "nothing to replay" in nothing.output


async def test_what_is_not_a_dead_letter_is_shown_as_it_is_and_never_replayed(streams, nats_url) -> None:
    stranger = (await streams.publish(f"dlq.{SUBJECT}", b"[bold]not json[/]")).seq
    markup = await dead_letter(
        streams, original(streams), kind="handler_error", error=ValueError("[red]x[/] [type=odd]")
    )

    listed = await invoke("list", "--nats-url", nats_url)
    assert listed.exit_code == 0, listed.output
    assert "not a dead letter" in listed.output
    assert "ValueError: [red]x[/] [type=odd]" in listed.output  # printed as it is, not as markup

    shown = await invoke("show", str(stranger), "--nats-url", nats_url)
    assert shown.exit_code == 0, shown.output
    assert "not a contract DeadLetter" in shown.output
    assert "[bold]not json[/]" in shown.output

    replayed = await invoke("replay", "--all", "--yes", "--nats-url", nats_url)
    assert replayed.exit_code == 0, replayed.output
    assert f"skipped {stranger}: not a contract DeadLetter" in replayed.output
    assert "1 replayed" in replayed.output
    assert await in_dlq(streams) == [stranger]
    assert markup not in await in_dlq(streams)


async def test_replay_refuses_bad_arguments(nats_url) -> None:
    both = await invoke("replay", "3", "--all", "--nats-url", nats_url)
    assert both.exit_code == 2
    assert "give a sequence or --all" in both.output
    stray = await invoke("replay", "3", "--subject", SUBJECT, "--nats-url", nats_url)
    assert stray.exit_code == 2
    assert "--subject selects dead letters for --all" in stray.output


async def test_purge_deletes_what_is_older_than_asked_and_asks_first(streams, nats_url) -> None:
    old = await dead_letter(streams, original(streams), kind="invalid", error=invalid())
    await asyncio.sleep(1.2)
    new = await dead_letter(streams, original(streams), kind="invalid", error=invalid())

    nothing_old = await invoke("purge", "--older-than", "1h", "--yes", "--nats-url", nats_url)
    assert nothing_old.exit_code == 1
    assert "no dead letters stored before" in nothing_old.output

    declined = await invoke("purge", "--older-than", "1s", "--nats-url", nats_url, stdin="n\n")
    assert declined.exit_code == 1
    assert "Delete 1 dead letters stored before" in declined.output
    assert await in_dlq(streams) == [old, new]

    purged = await invoke("purge", "--older-than", "1s", "--yes", "--nats-url", nats_url)
    assert purged.exit_code == 0, purged.output
    assert "purged 1 dead letters stored before" in purged.output
    assert await in_dlq(streams) == [new]

    everything = await invoke("purge", "--yes", "--nats-url", nats_url)
    assert everything.exit_code == 0, everything.output
    assert await in_dlq(streams) == []

    empty = await invoke("purge", "--yes", "--nats-url", nats_url)
    assert empty.exit_code == 1
    assert "no dead letters" in empty.output


async def test_purge_of_one_subject_keeps_the_others(streams, nats_url) -> None:
    _, _, third = await three_dead_letters(streams)
    purged = await invoke("purge", "--subject", SUBJECT, "--yes", "--nats-url", nats_url)
    assert purged.exit_code == 0, purged.output
    assert "purged 2 dead letters of delivery.scheduled.v1" in purged.output
    assert await in_dlq(streams) == [third]


async def test_an_unreachable_server_or_a_missing_stream_exits_2(js, nats_url) -> None:
    for args in (("list",), ("show", "1"), ("replay", "1", "--yes"), ("purge", "--yes")):
        result = await invoke(*args, "--nats-url", "nats://user:secret@127.0.0.1:9")
        assert result.exit_code == 2, (args, result.output)
        assert "cannot talk to NATS at nats://***@127.0.0.1:9" in result.output
        assert "secret" not in result.output
    no_stream = await invoke("list", "--nats-url", nats_url)
    assert no_stream.exit_code == 2
    assert "has no DLQ stream" in no_stream.output


async def test_a_subject_the_server_cannot_filter_on_exits_2_with_its_reason(streams, nats_url) -> None:
    result = await invoke("list", "--subject", "payment..v1", "--nats-url", nats_url)
    assert result.exit_code == 2
    assert "JetStream refused the request" in result.output


def test_durations_read_as_the_contract_writes_them() -> None:
    assert parse_duration("7d").total_seconds() == 7 * 86400
    assert parse_duration("12h").total_seconds() == 12 * 3600
    assert parse_duration("1.5m").total_seconds() == 90
    assert parse_duration("2w").total_seconds() == 14 * 86400
    with pytest.raises(Exception, match="is not a duration"):
        parse_duration("7 days")


# -- a poison message, the fix, the replay --------------------------------------------------------------


@dataclasses.dataclass
class Order:
    """A stand-in for the order service's handler of DeliveryScheduled: it needs a peer that is down."""

    peer_down: bool = True
    processed: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    async def on_delivery_scheduled(
        self, message: delivery.DeliveryScheduled, received: Received[delivery.DeliveryScheduled]
    ) -> None:
        if self.peer_down:
            raise ConnectionError("the carrier API refused the connection")
        self.processed.append((str(message.delivery_id), str(received.envelope.message_id)))


@contextlib.asynccontextmanager
async def consuming(
    js: JetStreamContext, db: Database, name: str, handler: Any, *, max_deliver: int
) -> AsyncIterator[BatchConsumer]:
    """A durable consumer of delivery.scheduled.v1 run as services run theirs: a transaction per batch
    with the inbox, dead-lettering on the last delivery (1 s between deliveries)."""
    spec = ConsumerSpec(
        name=name, stream=STREAM, filter_subjects=(SUBJECT,), max_deliver=max_deliver, ack_wait=5.0
    )
    await js.add_consumer(STREAM, consumer_config(spec))
    dispatcher = Dispatcher(
        service="order", consumer=spec, routes=[Route(ORDER_RECEIVES_DELIVERY_SCHEDULED, handler)]
    )
    consumer = BatchConsumer(
        js,
        dispatcher,
        dead_letters=DeadLetterQueue(js, service="order"),
        process=transactional_batch(lambda: SqlUnitOfWork(db), dispatcher),
        fetch_timeout=0.5,
    )
    task = asyncio.create_task(consumer.run())
    try:
        yield consumer
    finally:
        consumer.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def eventually(probe: Any, within: float = 15.0) -> None:
    async with asyncio.timeout(within):
        while not await probe():  # noqa: ASYNC110 - polls state that has no event to wait on
            await asyncio.sleep(0.05)


async def test_a_message_dead_lettered_by_a_passing_failure_succeeds_when_replayed_after_the_fix(
    streams, nats_url, tmp_path: Path
) -> None:
    db = await Database.open(f"sqlite+aiosqlite:///{tmp_path / 'order.db'}", schema="order")
    await db.create_all()
    failing, healthy = Order(peer_down=True), Order(peer_down=False)
    try:
        async with (
            consuming(streams, db, "test-order", failing.on_delivery_scheduled, max_deliver=2),
            consuming(streams, db, "test-analytics", healthy.on_delivery_scheduled, max_deliver=2),
        ):
            sent = delivery_scheduled()
            await DeliveryPublishers(streams).delivery_scheduled.publish(sent)

            async def dead_lettered() -> bool:
                return len(await in_dlq(streams)) == 1

            await eventually(dead_lettered)
            [seq] = await in_dlq(streams)
            listed = await invoke("list", "--nats-url", nats_url)
            assert "handler_error" in listed.output
            assert "ConnectionError: the carrier API refused the connection" in listed.output
            assert failing.processed == []
            assert len(healthy.processed) == 1
            event_id = healthy.processed[0][1]

            failing.peer_down = False  # the carrier API is back (or the fix is deployed)
            replayed = await invoke("replay", str(seq), "--yes", "--nats-url", nats_url)
            assert replayed.exit_code == 0, replayed.output

            async def processed() -> bool:
                return bool(failing.processed)

            await eventually(processed)
            assert failing.processed == [(str(sent.delivery_id), event_id)]  # the same event, at last
            await asyncio.sleep(0.5)
            # The consumer that had processed it recognises the event id (its inbox): not run twice.
            assert len(healthy.processed) == 1
            assert await in_dlq(streams) == []
    finally:
        await db.close()
