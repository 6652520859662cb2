"""The outbox and its relay against a real nats-server: once, in order, and nothing lost."""

import asyncio
from collections.abc import Sequence
from uuid import UUID, uuid4

import pytest
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from sqlalchemy import func, select

from a4co_sdk._runtime.publishing import OutgoingMessage
from services.platform.database import Database
from services.platform.outbox import OutboxRelay, outbox, stage, stage_all
from services.platform.unit_of_work import SqlUnitOfWork

from .conftest import eventually

pytestmark = pytest.mark.integration

STREAM = "OUTBOX_TEST"


@pytest.fixture
async def stream(js: JetStreamContext) -> JetStreamContext:
    await js.add_stream(StreamConfig(name=STREAM, subjects=["outbox.test.>"], duplicate_window=120))
    return js


def message(subject: str = "outbox.test.a", *, stream: str = STREAM, body: bytes = b"{}") -> OutgoingMessage:
    return OutgoingMessage(subject, body, {"event-id": "set-by-the-publisher"}, uuid4(), stream)


async def rows(db: Database) -> list[UUID]:
    async with db.transaction(read_only=True) as session:
        result = await session.execute(select(outbox.c.message_id).order_by(outbox.c.position))
        return list(result.scalars())


async def stored(js: JetStreamContext) -> list[tuple[str, bytes, str]]:
    """(subject, body, Nats-Msg-Id) of every message in the test stream, in stream order."""
    info = await js.stream_info(STREAM)
    found = []
    for seq in range(1, info.state.last_seq + 1):
        msg = await js.get_msg(STREAM, seq)
        found.append((msg.subject or "", msg.data or b"", (msg.headers or {})["Nats-Msg-Id"]))
    return found


async def stage_committed(db: Database, messages: Sequence[OutgoingMessage]) -> None:
    async with db.transaction() as session:
        await stage_all(session, messages)


async def stage_then_fail(db: Database) -> None:
    async with db.transaction() as session:
        await stage(session, message())
        raise RuntimeError("the handler failed")


async def test_staging_is_idempotent_and_rolls_back_with_the_transaction(db: Database) -> None:
    first = message()
    async with db.transaction() as session:
        await stage(session, first)
        await stage(session, first)
    with pytest.raises(RuntimeError, match="the handler failed"):
        await stage_then_fail(db)
    async with db.transaction() as session:
        await stage_all(session, [first])
    assert await rows(db) == [first.message_id]


async def test_the_relay_publishes_each_row_once_in_order_with_its_message_id(
    db: Database, stream: JetStreamContext
) -> None:
    messages = [message(f"outbox.test.{i % 3}", body=b'{"n":%d}' % i) for i in range(20)]
    await stage_committed(db, messages[:12])
    await stage_committed(db, messages[12:])
    relay = OutboxRelay(db, stream, batch=8)

    while (await relay.relay_once()).read:
        pass

    assert await stored(stream) == [(m.subject, m.body, str(m.message_id)) for m in messages]
    assert await rows(db) == []
    assert (relay.stats.published, relay.stats.duplicates, relay.stats.failed, relay.stats.pending) == (
        20,
        0,
        0,
        0,
    )
    info = await stream.stream_info(STREAM)
    assert info.state.messages == 20


async def test_a_relay_stopped_between_publish_and_delete_republishes_and_jetstream_drops_the_copies(
    db: Database, stream: JetStreamContext
) -> None:
    published = asyncio.Event()

    class StopsBeforeDeleting(OutboxRelay):
        async def _forget(self, positions: Sequence[int]) -> None:
            published.set()
            await asyncio.Event().wait()  # cancelled here, as a crash would stop it

    messages = [message() for _ in range(5)]
    await stage_committed(db, messages)
    crashing = asyncio.create_task(StopsBeforeDeleting(db, stream).run())
    await asyncio.wait_for(published.wait(), 5)
    crashing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await crashing
    assert await rows(db) == [m.message_id for m in messages]  # published, but not deleted

    relay = OutboxRelay(db, stream)
    result = await relay.relay_once()

    assert result.published == 5
    assert relay.stats.duplicates == 5  # JetStream recognised every Nats-Msg-Id
    assert await rows(db) == []
    info = await stream.stream_info(STREAM)
    assert info.state.messages == 5
    assert [s[2] for s in await stored(stream)] == [str(m.message_id) for m in messages]


async def test_rows_jetstream_refuses_stay_and_the_others_are_published(
    db: Database, stream: JetStreamContext, caplog: pytest.LogCaptureFixture
) -> None:
    good = message()
    no_stream = message("nowhere.to.go")
    wrong_stream = message("outbox.test.b", stream="ANOTHER_STREAM")
    also_good = message()
    await stage_committed(db, [good, no_stream, wrong_stream, also_good])
    relay = OutboxRelay(db, stream, timeout=0.5)

    result = await relay.relay_once()
    assert (result.read, result.published, result.failed) == (4, 2, 2)
    assert "NoStreamResponseError" in caplog.text
    assert "expected stream does not match" in caplog.text  # asked again, one at a time
    assert await rows(db) == [no_stream.message_id, wrong_stream.message_id]
    assert (relay.stats.published, relay.stats.failed, relay.stats.pending) == (2, 2, 2)
    assert [s[2] for s in await stored(stream)] == [str(good.message_id), str(also_good.message_id)]

    result = await relay.relay_once()  # still refused: kept for the next round
    assert (result.published, result.failed) == (0, 2)
    assert relay.stats.pending == 2


async def test_a_commit_wakes_the_relay_without_waiting_for_the_sweep(
    db: Database, stream: JetStreamContext
) -> None:
    relay = OutboxRelay(db, stream, interval=30)
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.05)  # the first sweep found nothing and waits
        async with SqlUnitOfWork(db, relay) as uow:
            uow.publish(message())
        await eventually(lambda: relay.stats.published >= 1, within=2)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert (await stream.stream_info(STREAM)).state.messages == 1


async def test_the_sweep_publishes_rows_nobody_announced_and_failures_back_off(
    db: Database, stream: JetStreamContext
) -> None:
    relay = OutboxRelay(db, stream, interval=0.05, max_backoff=0.2, timeout=1)
    await stage_committed(db, [message("nowhere.at.all"), message()])
    task = asyncio.create_task(relay.run())
    try:
        await eventually(lambda: relay.stats.failed >= 3, within=3)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert relay.stats.published == 1
    assert relay.stats.pending == 1
    async with db.transaction(read_only=True) as session:
        assert (await session.execute(select(func.count()).select_from(outbox))).scalar_one() == 1
