"""EventStore on a real nats-server: round trip, optimistic concurrency, idempotent appends.

Every test runs twice (`es_orders`): with `allow_direct` (batched direct gets) and without (leader reads).
"""

import asyncio

import pytest
from nats.js import JetStreamContext

from a4co_sdk._runtime.publishing import NATS_MSG_ID
from a4co_sdk.streams import ES_ORDERS_STREAM, ORDERS_STREAM
from services.platform.eventstore import (
    Commit,
    ConcurrencyError,
    CorruptCommitError,
    DomainEvent,
    EventStore,
    OutboxMessage,
    StoreUnavailableError,
)

from .conftest import new_id, outgoing

pytestmark = pytest.mark.integration


def commit_for(aggregate_id: str, *types: str, causation_id: str | None = None) -> Commit:
    events = tuple(DomainEvent(t, {"n": i}) for i, t in enumerate(types))
    message = OutboxMessage.from_outgoing(outgoing("order.state.changed.v1", "ORDERS", orderId=aggregate_id))
    return Commit(aggregate_id, "order", events=events, outbox=(message,), causation_id=causation_id)


async def test_appended_commits_load_back_in_order(store: EventStore):
    aggregate_id = new_id()
    first = commit_for(aggregate_id, "OrderPlaced", "ItemAdded", causation_id=new_id())
    second = commit_for(aggregate_id, "OrderConfirmed")
    at_first = await store.append(aggregate_id, first, 0)
    at_second = await store.append(aggregate_id, second, at_first.sequence)
    assert at_second.sequence > at_first.sequence
    assert not at_first.duplicate

    loaded = await store.load(aggregate_id)
    assert loaded.commits == (first, second)
    assert loaded.last_sequence == at_second.sequence


async def test_an_aggregate_without_commits_loads_empty_at_sequence_zero(store: EventStore):
    loaded = await store.load(new_id())
    assert (loaded.commits, loaded.last_sequence) == ((), 0)


async def test_other_aggregates_interleaved_in_the_stream_are_not_read(store: EventStore):
    mine, other = new_id(), new_id()
    sequence = 0
    for _ in range(5):
        sequence = (await store.append(mine, commit_for(mine, "ItemAdded"), sequence)).sequence
        await store.append(other, commit_for(other, "ItemAdded"), (await store.load(other)).last_sequence)
    loaded = await store.load(mine)
    assert len(loaded.commits) == 5
    assert {c.aggregate_id for c in loaded.commits} == {mine}


async def test_a_long_history_is_read_across_several_direct_batches(js: JetStreamContext, es_orders: str):
    store = EventStore(js, ES_ORDERS_STREAM, "es.order")
    aggregate_id, sequence = new_id(), 0
    for _ in range(1100):  # more than one direct-get batch (1024)
        sequence = (await store.append(aggregate_id, Commit(aggregate_id, "order"), sequence)).sequence
    loaded = await store.load(aggregate_id)
    assert len(loaded.commits) == 1100
    assert loaded.last_sequence == sequence


async def test_of_concurrent_appenders_at_the_same_sequence_exactly_one_wins(store: EventStore):
    aggregate_id = new_id()
    start = (await store.append(aggregate_id, commit_for(aggregate_id, "OrderPlaced"), 0)).sequence
    writers = 10
    outcomes = await asyncio.gather(
        *(store.append(aggregate_id, commit_for(aggregate_id, "ItemAdded"), start) for _ in range(writers)),
        return_exceptions=True,
    )
    winners = [o for o in outcomes if not isinstance(o, BaseException)]
    losers = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(winners) == 1
    assert len(losers) == writers - 1
    assert all(isinstance(e, ConcurrencyError) for e in losers)
    assert {(e.aggregate_id, e.expected, e.actual) for e in losers} == {
        (aggregate_id, start, winners[0].sequence)
    }

    loaded = await store.load(aggregate_id)
    assert len(loaded.commits) == 2
    retry = commit_for(aggregate_id, "ItemAdded")
    appended = await store.append(aggregate_id, retry, loaded.last_sequence)  # on fresh state
    assert (await store.load(aggregate_id)).commits[-1] == retry
    assert appended.sequence > loaded.last_sequence


async def test_a_new_aggregate_can_be_created_only_once(store: EventStore):
    aggregate_id = new_id()
    await store.append(aggregate_id, commit_for(aggregate_id, "OrderPlaced"), 0)
    with pytest.raises(ConcurrencyError) as conflict:
        await store.append(aggregate_id, commit_for(aggregate_id, "OrderPlaced"), 0)
    assert conflict.value.expected == 0
    assert conflict.value.actual > 0


async def test_a_retried_append_of_the_same_commit_is_stored_once(store: EventStore, js: JetStreamContext):
    aggregate_id = new_id()
    commit = commit_for(aggregate_id, "OrderPlaced")
    first = await store.append(aggregate_id, commit, 0)
    again = await store.append(aggregate_id, commit, 0)  # the ack was lost, the caller retries
    assert again.sequence == first.sequence
    assert again.duplicate

    # Still recognised after another writer moved the aggregate on (and outside the duplicate window).
    later = await store.append(aggregate_id, commit_for(aggregate_id, "ItemAdded"), first.sequence)
    assert (await store.append(aggregate_id, commit, 0)).sequence == first.sequence
    assert len((await store.load(aggregate_id)).commits) == 2

    stored = await js.get_msg(ES_ORDERS_STREAM.name, seq=first.sequence)
    assert stored.headers[NATS_MSG_ID] == commit.commit_id
    assert later.sequence > first.sequence


async def test_a_commit_is_stored_on_the_aggregate_subject_with_its_id_as_msg_id(
    store: EventStore, js: JetStreamContext
):
    aggregate_id = new_id()
    commit = commit_for(aggregate_id, "OrderPlaced")
    appended = await store.append(aggregate_id, commit, 0)
    raw = await js.get_msg(ES_ORDERS_STREAM.name, seq=appended.sequence)
    assert raw.subject == f"es.order.{aggregate_id}"
    assert raw.headers[NATS_MSG_ID] == commit.commit_id


async def test_a_message_that_is_not_a_commit_is_reported_with_its_place(
    store: EventStore, js: JetStreamContext
):
    aggregate_id = new_id()
    ack = await js.publish(f"es.order.{aggregate_id}", b"{not json")
    with pytest.raises(CorruptCommitError) as corrupt:
        await store.load(aggregate_id)
    assert corrupt.value.sequence == ack.seq


async def test_wrong_ids_and_streams_are_refused(js: JetStreamContext, store: EventStore):
    with pytest.raises(ValueError, match="one subject token"):
        store.subject("a.b")
    with pytest.raises(ValueError, match="appended to"):
        await store.append(new_id(), Commit(new_id(), "order"), 0)
    with pytest.raises(ValueError, match="not private"):
        EventStore(js, ORDERS_STREAM, "order")
    with pytest.raises(ValueError, match="does not hold"):
        EventStore(js, ES_ORDERS_STREAM, "es.payment")


async def test_the_read_mode_follows_the_stream_allow_direct(store: EventStore, es_orders: str, js):
    await store.load(new_id())
    info = await js.stream_info(es_orders)
    assert store._direct is bool(info.config.allow_direct)


async def test_a_direct_read_behind_a_known_sequence_is_completed_from_the_leader(
    js: JetStreamContext, es_orders_direct: str
):
    store = EventStore(js, ES_ORDERS_STREAM, "es.order")
    aggregate_id = new_id()
    appended = await store.append(aggregate_id, commit_for(aggregate_id, "OrderPlaced"), 0)
    assert (await store.load(aggregate_id, at_least=appended.sequence)).last_sequence == appended.sequence
    assert store.stale_reads == 0
    # A replica that has not caught up answers like a direct read that ends before `at_least`.
    loaded = await store.load(aggregate_id, at_least=appended.sequence + 1)
    assert store.stale_reads == 1
    assert loaded.last_sequence == appended.sequence


@pytest.mark.parametrize("direct", [None, True, False])
async def test_a_missing_stream_is_unavailable_not_an_empty_aggregate(js: JetStreamContext, direct):
    store = EventStore(js, ES_ORDERS_STREAM, "es.order", direct=direct, timeout=0.5)
    with pytest.raises(StoreUnavailableError):
        await store.load(new_id())
    aggregate_id = new_id()
    with pytest.raises(StoreUnavailableError):
        await store.append(aggregate_id, Commit(aggregate_id, "order"), 0)
