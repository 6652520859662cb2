"""The relay on a real nats-server: each outbox message published once, in order, whatever dies when."""

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable

import nats
import orjson
import pytest
from nats.js import JetStreamContext

from a4co_sdk._runtime.publishing import NATS_MSG_ID, OutgoingMessage
from a4co_sdk.streams import ES_ORDERS_STREAM, PAYMENTS_STREAM
from services.platform.eventstore import (
    Commit,
    EventStore,
    JetStreamRepository,
    NewerFormatError,
    Relay,
    RelayConfig,
    RelayedCommit,
)

from .conftest import create_stream, new_id, outgoing
from .domain import Order

pytestmark = pytest.mark.integration

FAST = RelayConfig(poll=0.2, publish_timeout=1.0, backoff=0.05, max_backoff=0.2, ack_wait=1.0)
"""Short waits so crash tests take about a second; the production defaults are in RelayConfig()."""


def repository(js: JetStreamContext) -> JetStreamRepository[Order]:
    return JetStreamRepository(EventStore(js, ES_ORDERS_STREAM, "es.order"), Order)


async def stored(js: JetStreamContext, stream: str) -> list[tuple[str, str]]:
    """(subject, Nats-Msg-Id) of every message in the stream, in stream order."""
    info = await js.stream_info(stream)
    messages: list[tuple[str, str]] = []
    if not info.state.messages:
        return messages
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        raw = await js.get_msg(stream, seq=seq)
        messages.append((raw.subject, raw.headers[NATS_MSG_ID]))
    return messages


async def wait_until(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


async def place_orders(js: JetStreamContext, aggregates: int, commits: int) -> list[OutgoingMessage]:
    """Interleaved commits of several orders, 0 to 2 messages each; the messages in commit order."""
    repo = repository(js)
    orders = [Order(new_id()) for _ in range(aggregates)]
    expected: list[OutgoingMessage] = []
    for n in range(commits):
        for order in orders:
            if n == 0:
                order.place("c")
            else:
                order.add_item(f"sku-{n}", 1)
            outbox = [outgoing(f"order.step{k}.v1", "ORDERS", orderId=order.id, n=n) for k in range(n % 3)]
            await repo.save(order, outbox=outbox)
            expected.extend(outbox)
    return expected


def ids(messages: list[OutgoingMessage]) -> list[tuple[str, str]]:
    return [(m.subject, str(m.message_id)) for m in messages]


async def test_each_outbox_message_is_published_once_in_commit_order(js, es_orders_direct, orders):
    expected = await place_orders(js, aggregates=3, commits=6)
    relayed: list[RelayedCommit] = []

    async def remember(commit: RelayedCommit) -> None:
        relayed.append(commit)

    relay = Relay(js, ES_ORDERS_STREAM, "order-relay", config=FAST, on_relayed=remember)
    assert await relay.relay_available() == 18
    assert await stored(js, orders) == ids(expected)
    assert await relay.lag() == 0
    assert (relay.stats.commits, relay.stats.messages, relay.stats.duplicates) == (18, len(expected), 0)
    assert [r.sequence for r in relayed] == sorted(r.sequence for r in relayed)
    assert sum(len(r.acks) for r in relayed) == len(expected)
    await relay.close()


async def test_the_relay_creates_its_private_consumer_once(js, es_orders_direct):
    relay = Relay(js, ES_ORDERS_STREAM, "order-relay")
    info = await relay.ensure_consumer()
    config = info.config
    assert (config.durable_name, config.ack_policy, config.deliver_policy) == (
        "order-relay",
        "explicit",
        "all",
    )
    assert (config.ack_wait, config.max_ack_pending, config.max_deliver) == (30.0, 1000, -1)
    assert "not a contract consumer" in config.description
    assert (await Relay(js, ES_ORDERS_STREAM, "order-relay").ensure_consumer()).created == info.created


async def test_a_running_relay_follows_new_commits_and_stops_gracefully(js, es_orders_direct, orders):
    relay = Relay(js, ES_ORDERS_STREAM, "order-relay", config=FAST)
    relay.start()
    expected = await place_orders(js, aggregates=2, commits=5)
    await wait_until(lambda: _count_is(js, orders, len(expected)))
    await relay.stop()
    assert await stored(js, orders) == ids(expected)
    assert await relay.lag() == 0


async def _count_is(js: JetStreamContext, stream: str, n: int) -> bool:
    return (await js.stream_info(stream)).state.messages >= n


async def test_commits_appended_before_a_crash_are_published_by_a_new_relay(js, es_orders_direct, orders):
    """No dual write: the commit is the only write; the process dies before any relay ran."""
    expected = await place_orders(js, aggregates=2, commits=3)
    assert await stored(js, orders) == []  # nothing published at save time
    assert await Relay(js, ES_ORDERS_STREAM, "order-relay", config=FAST).relay_available() == 6
    assert await stored(js, orders) == ids(expected)


async def test_a_relay_cancelled_between_publish_and_ack_leaves_each_message_once(
    js, es_orders_direct, orders
):
    expected = await place_orders(js, aggregates=2, commits=6)
    acked = 0

    async def cancel_on_the_fifth(commit: RelayedCommit) -> None:
        nonlocal acked
        acked += 1
        if acked == 5:
            task.cancel()
            await asyncio.sleep(0)  # the cancellation lands here, before the ack

    crashing = Relay(js, ES_ORDERS_STREAM, "order-relay", config=FAST, before_ack=cancel_on_the_fifth)
    task = crashing.start()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert crashing.stats.commits == 4
    assert len(await stored(js, orders)) == len(expected)  # the whole batch was published

    restarted = Relay(js, ES_ORDERS_STREAM, "order-relay", config=FAST)
    assert await restarted.relay_available() == 12 - 4
    assert await stored(js, orders) == ids(expected)  # the copies were dropped by the window
    assert restarted.stats.duplicates == restarted.stats.messages > 0
    assert restarted.stats.redelivered == 8
    assert await restarted.lag() == 0


async def test_a_relay_whose_connection_dies_before_the_ack_leaves_each_message_once(
    js, nats_url, es_orders_direct, orders
):
    expected = await place_orders(js, aggregates=3, commits=4)
    connection = await nats.connect(nats_url, allow_reconnect=False)

    async def die(commit: RelayedCommit) -> None:  # like kill -9: nothing more leaves the process
        await connection.close()
        raise ConnectionError("process died")

    with pytest.raises(ConnectionError):
        await Relay(
            connection.jetstream(), ES_ORDERS_STREAM, "order-relay", config=FAST, before_ack=die
        ).run()

    started = time.monotonic()
    restarted = Relay(js, ES_ORDERS_STREAM, "order-relay", config=FAST)
    assert await restarted.relay_available() == 12
    assert time.monotonic() - started >= 0.9  # it waited for the orphaned commits' redelivery (ack_wait)
    assert await stored(js, orders) == ids(expected)
    assert restarted.stats.redelivered == 12


async def test_a_commit_that_cannot_be_published_is_retried_and_its_aggregate_waits(
    js, es_orders_direct, orders
):
    """The PAYMENTS stream is missing: the commit is retried, never dropped, and nothing of its
    aggregate overtakes it, while other aggregates go on."""
    repo = repository(js)
    blocked, free = Order(new_id()), Order(new_id())
    blocked.place("c")
    to_payments = outgoing("payment.requested.v1", "PAYMENTS", orderId=blocked.id)
    await repo.save(blocked, outbox=[to_payments])
    blocked.add_item("honey", 1)
    after_it = outgoing("order.items.modified.v1", "ORDERS", orderId=blocked.id)
    await repo.save(blocked, outbox=[after_it])
    free.place("c")
    unrelated = outgoing("order.created.v1", "ORDERS", orderId=free.id)
    await repo.save(free, outbox=[unrelated])

    relay = Relay(js, ES_ORDERS_STREAM, "order-relay", config=FAST)
    relay.start()
    await wait_until(lambda: _count_is(js, orders, 1))
    await asyncio.sleep(0.5)  # several retry rounds
    assert await stored(js, orders) == ids([unrelated])
    assert relay.stats.failures >= 2
    assert "payment.requested.v1" in (relay.stats.last_error or "")
    assert await relay.lag() == 2

    await create_stream(js, PAYMENTS_STREAM)
    await wait_until(lambda: _count_is(js, orders, 2))
    await relay.stop()
    assert await stored(js, "PAYMENTS") == ids([to_payments])
    assert await stored(js, orders) == ids([unrelated, after_it])
    assert await relay.lag() == 0


async def test_a_message_that_is_not_a_commit_is_terminated_and_the_rest_goes_on(
    js, es_orders_direct, orders
):
    await js.publish(f"es.order.{new_id()}", b"not a commit")
    expected = await place_orders(js, aggregates=1, commits=3)
    relay = Relay(js, ES_ORDERS_STREAM, "order-relay", config=FAST)
    assert await relay.relay_available() == 3
    assert relay.stats.malformed == 1
    assert await stored(js, orders) == ids(expected)
    assert await relay.lag() == 0


async def test_a_failing_on_relayed_callback_is_counted_and_does_not_stop_the_relay(
    js, es_orders_direct, orders
):
    expected = await place_orders(js, aggregates=1, commits=3)

    async def broken(commit: RelayedCommit) -> None:
        raise RuntimeError("subscriber bug")

    relay = Relay(js, ES_ORDERS_STREAM, "order-relay", config=FAST, on_relayed=broken)
    assert await relay.relay_available() == 3
    assert relay.stats.hook_errors == 3
    assert await stored(js, orders) == ids(expected)


async def test_unanswered_publishes_time_out_per_round_not_per_aggregate(js, nats_client, es_orders_direct):
    """A subject that swallows messages without an answer (no stream behind it) makes every publish of
    a round time out; the round must take one timeout, not one per waiting aggregate."""
    black_hole = await nats_client.subscribe("sink.>")  # takes the messages, never answers
    repo = repository(js)
    expected: dict[str, list[str]] = {}
    for _ in range(30):
        order = Order(new_id())
        order.place("c")
        first = outgoing("sink.placed.v1", "SINK", orderId=order.id)
        await repo.save(order, outbox=[first])
        order.add_item("honey", 1)
        second = outgoing("sink.changed.v1", "SINK", orderId=order.id)
        await repo.save(order, outbox=[second])
        expected[order.id] = [str(first.message_id), str(second.message_id)]

    config = dataclasses.replace(FAST, publish_timeout=0.2, max_backoff=0.05)
    relay = Relay(js, ES_ORDERS_STREAM, "order-relay", config=config)
    task = relay.start()
    await asyncio.sleep(1.5)
    assert not task.done()
    # Rounds of about two timeouts (0.4 s) each; waiting one timeout per aggregate, the first round
    # alone would take 30 x 0.2 s.
    assert relay.stats.failures >= 2 * 30
    assert relay.stats.messages == 0

    await black_hole.unsubscribe()
    await js.add_stream(name="SINK", subjects=["sink.>"], duplicate_window=120)
    await wait_until(lambda: _count_is(js, "SINK", 60))
    await relay.stop()
    by_order: dict[str, list[str]] = {}
    for raw_seq in range(1, 61):
        raw = await js.get_msg("SINK", seq=raw_seq)
        by_order.setdefault(orjson.loads(raw.data)["orderId"], []).append(raw.headers[NATS_MSG_ID])
    assert by_order == expected  # each once, and each order's in commit order


async def test_a_relay_older_than_the_commit_format_stops_and_leaves_the_commit(js, es_orders_direct, orders):
    newer = Commit(new_id(), "order").encode().replace(b'"format":1', b'"format":2')
    await js.publish(f"es.order.{new_id()}", newer)
    relay = Relay(js, ES_ORDERS_STREAM, "order-relay", config=FAST)
    with pytest.raises(NewerFormatError):
        await relay.run()
    assert await relay.lag() == 1  # not acknowledged, not terminated: a current relay will publish it
