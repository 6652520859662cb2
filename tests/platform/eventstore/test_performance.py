"""What the event store benchmark relies on, checked for correctness (the figures are in `bench/`).

Appends in a row, histories interleaved with other aggregates, and a restarted relay working through a
backlog: everything is stored, loaded and relayed exactly once. How fast is measured by
`python -m bench --only eventstore`, against a raw JetStream baseline in the same run.
"""

import asyncio

import pytest
from nats.js import JetStreamContext

from a4co_sdk.streams import ES_ORDERS_STREAM
from services.platform.eventstore import Commit, DomainEvent, EventStore, OutboxMessage, Relay, RelayConfig

from .conftest import create_stream, new_id, outgoing

pytestmark = [pytest.mark.integration]


def commit(aggregate_id: str, messages: int = 1) -> Commit:
    """About the size of an order commit: two events and `messages` outbox messages of ~500 B."""
    events = (
        DomainEvent("ItemAdded", {"sku": "olive-oil-500ml", "quantity": 2, "unitPrice": "12.50"}),
        DomainEvent("TotalChanged", {"total": {"amount": "25.00", "currency": "EUR"}}),
    )
    outbox = tuple(
        OutboxMessage.from_outgoing(
            outgoing(f"order.step{k}.v1", "ORDERS", orderId=aggregate_id, note="x" * 400)
        )
        for k in range(messages)
    )
    return Commit(aggregate_id, "order", events=events, outbox=outbox)


async def test_appends_in_a_row_to_one_aggregate_each_get_the_next_sequence(
    js: JetStreamContext, es_orders_direct: str
):
    store = EventStore(js, ES_ORDERS_STREAM, "es.order")
    aggregate_id, sequence, sequences = new_id(), 0, []
    for _ in range(50):
        appended = await store.append(aggregate_id, commit(aggregate_id), sequence)
        assert not appended.duplicate
        sequence = appended.sequence
        sequences.append(sequence)
    assert sequences == sorted(set(sequences))
    loaded = await store.load(aggregate_id)
    assert (len(loaded.commits), loaded.last_sequence) == (50, sequence)


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "leader"])
async def test_histories_interleaved_with_other_aggregates_load_whole(js: JetStreamContext, direct: bool):
    await create_stream(js, ES_ORDERS_STREAM, allow_direct=direct)
    store = EventStore(js, ES_ORDERS_STREAM, "es.order")
    noise = [new_id() for _ in range(5)]
    for length in (1, 20, 100):
        aggregate_id, sequence, ids = new_id(), 0, []
        for _ in range(length):
            written = commit(aggregate_id)
            ids.append(written.commit_id)
            sequence = (await store.append(aggregate_id, written, sequence)).sequence
            for other in noise:  # other aggregates interleaved, as in a live stream
                await store.append(other, commit(other), (await store.load(other)).last_sequence)
        loaded = await store.load(aggregate_id)
        assert [c.commit_id for c in loaded.commits] == ids
        assert loaded.last_sequence == sequence


async def relay_backlog(js: JetStreamContext, commits: int, aggregates: int, messages: int) -> Relay:
    """Relay a backlog of `commits` from a fresh event store stream (what a restarted relay faces)."""
    if ES_ORDERS_STREAM.name in {s.config.name for s in await js.streams_info()}:
        await js.delete_stream(ES_ORDERS_STREAM.name)
    await create_stream(js, ES_ORDERS_STREAM, allow_direct=True)
    store = EventStore(js, ES_ORDERS_STREAM, "es.order")
    ids = [new_id() for _ in range(aggregates)]
    sequences = dict.fromkeys(ids, 0)

    async def write(aggregate_id: str, count: int) -> None:
        for _ in range(count):
            appended = await store.append(
                aggregate_id, commit(aggregate_id, messages), sequences[aggregate_id]
            )
            sequences[aggregate_id] = appended.sequence

    await asyncio.gather(*(write(a, commits // aggregates) for a in ids))
    relay = Relay(js, ES_ORDERS_STREAM, "order-relay", config=RelayConfig(poll=0.2))
    await relay.ensure_consumer()
    relayed = await relay.relay_available(poll=0.05)
    assert relayed == commits
    return relay


@pytest.mark.parametrize(
    ("commits", "aggregates", "messages"),
    [(500, 50, 1), (300, 50, 3), (200, 1, 1)],
    ids=["spread", "three-messages-a-commit", "one-hot-aggregate"],
)
async def test_a_restarted_relay_delivers_every_commit_of_a_backlog_once(
    js: JetStreamContext, orders: str, commits: int, aggregates: int, messages: int
):
    relay = await relay_backlog(js, commits, aggregates, messages)
    assert relay.stats.commits == commits
    assert relay.stats.messages == commits * messages
    info = await js.stream_info(orders)
    assert info.state.messages == commits * messages  # each outbox message stored once in ORDERS
    assert await relay.lag() == 0
    await relay.close()
