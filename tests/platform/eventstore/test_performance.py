"""Append latency, load time by history length, relay throughput (printed; the bounds catch regressions).

.venv/bin/pytest tests/platform/eventstore/test_performance.py -m slow

The bounds are loose (a 2-core machine swings 2x between runs): they catch a regression by an order of
magnitude; the printed numbers are the report.
"""

import asyncio
import statistics
import time

import pytest
from nats.js import JetStreamContext

from a4co_sdk.streams import ES_ORDERS_STREAM
from services.platform.eventstore import Commit, DomainEvent, EventStore, OutboxMessage, Relay, RelayConfig

from .conftest import create_stream, new_id, outgoing

pytestmark = [pytest.mark.integration, pytest.mark.slow]


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


def report(capsys: pytest.CaptureFixture[str], *lines: str) -> None:
    with capsys.disabled():
        for line in lines:
            print(f"  {line}")  # noqa: T201 - the measurements are what this test reports


def percentiles(samples_ms: list[float]) -> str:
    ordered = sorted(samples_ms)
    p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)]
    return f"p50 {statistics.median(ordered):6.3f} ms  p99 {p99:6.3f} ms"


async def test_append_latency(js: JetStreamContext, es_orders_direct: str, capsys):
    store = EventStore(js, ES_ORDERS_STREAM, "es.order")
    new_aggregates, same_aggregate = [], []
    for _ in range(1000):
        aggregate_id = new_id()
        started = time.perf_counter()
        await store.append(aggregate_id, commit(aggregate_id), 0)
        new_aggregates.append((time.perf_counter() - started) * 1000)
    aggregate_id, sequence = new_id(), 0
    for _ in range(1000):
        started = time.perf_counter()
        sequence = (await store.append(aggregate_id, commit(aggregate_id), sequence)).sequence
        same_aggregate.append((time.perf_counter() - started) * 1000)
    report(
        capsys,
        "",
        f"append, new aggregate (x1000):         {percentiles(new_aggregates)}",
        f"append, one aggregate (1000 in a row): {percentiles(same_aggregate)}",
    )
    assert statistics.median(new_aggregates) < 5


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "leader"])
async def test_load_time_by_history_length(js: JetStreamContext, direct: bool, capsys):
    await create_stream(js, ES_ORDERS_STREAM, allow_direct=direct)
    store = EventStore(js, ES_ORDERS_STREAM, "es.order")
    noise = [new_id() for _ in range(5)]
    for length in (1, 20, 100):
        aggregate_id, sequence = new_id(), 0
        for _ in range(length):
            sequence = (await store.append(aggregate_id, commit(aggregate_id), sequence)).sequence
            for other in noise:  # other aggregates interleaved, as in a live stream
                await store.append(other, commit(other), (await store.load(other)).last_sequence)
        samples = []
        for _ in range(200):
            started = time.perf_counter()
            loaded = await store.load(aggregate_id)
            samples.append((time.perf_counter() - started) * 1000)
        assert len(loaded.commits) == length
        report(
            capsys, f"load {length:3d} commits ({'direct' if direct else 'leader'}): {percentiles(samples)}"
        )
        assert statistics.median(samples) < (10 if direct else 100)


async def measure_relay(js: JetStreamContext, capsys, commits: int, aggregates: int, messages: int) -> float:
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
    started = time.perf_counter()
    relayed = await relay.relay_available(poll=0.05)
    elapsed = time.perf_counter() - started - 0.05  # the last, empty pull
    assert relayed == commits
    assert relay.stats.messages == commits * messages
    rate = relay.stats.messages / elapsed
    report(
        capsys,
        f"relay {commits} commits of {aggregates} aggregates, {messages} msg/commit: "
        f"{commits / elapsed:6.0f} commits/s {rate:6.0f} msgs/s",
    )
    return rate


async def test_relay_throughput(js: JetStreamContext, orders: str, capsys):
    report(capsys, "")
    spread = await measure_relay(js, capsys, commits=5000, aggregates=500, messages=1)
    await measure_relay(js, capsys, commits=3000, aggregates=500, messages=3)
    hot = await measure_relay(js, capsys, commits=2000, aggregates=1, messages=1)
    report(capsys, f"messages a restarted relay publishes in the 90 s left of the window: {spread * 90:,.0f}")
    assert spread > 1000
    assert hot > 300
