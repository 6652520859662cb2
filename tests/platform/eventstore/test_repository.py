"""JetStreamRepository: aggregates saved as commits, cached, reloaded after a conflict, upcast on load."""

import asyncio

import pytest
from nats.js import JetStreamContext

from a4co_sdk.models.order import OrderState, OrderStateChanged
from a4co_sdk.publishers.order import OrderStateChangedPublisher
from a4co_sdk.streams import ES_ORDERS_STREAM
from services.platform.eventstore import (
    ConcurrencyError,
    EventStore,
    JetStreamRepository,
    StoreUnavailableError,
)

from .conftest import new_id
from .domain import UPCASTERS, Order, OrderV2

pytestmark = pytest.mark.integration


def repository(js: JetStreamContext, aggregate=Order, **options) -> JetStreamRepository:
    return JetStreamRepository(EventStore(js, ES_ORDERS_STREAM, "es.order"), aggregate, **options)


async def test_a_saved_aggregate_is_one_commit_with_its_events_cause_and_outbox(js, es_orders):
    repo = repository(js)
    order = Order(new_id())
    order.place("c-1")
    order.add_item("olive-oil", 2)
    message = OrderStateChangedPublisher(js).prepare(
        OrderStateChanged(
            order_id=order.id,
            previous_state=OrderState.PENDING,
            current_state=OrderState.STOCK_RESERVED,
            reason="stock reserved",
            changed_by="order",
            changed_at="2026-11-27T10:00:00Z",
        )
    )
    cause = new_id()
    sequence = await repo.save(order, causation_id=cause, outbox=[message])

    loaded = await repo.store.load(order.id)
    assert loaded.last_sequence == sequence
    (commit,) = loaded.commits
    assert [e.type for e in commit.events] == ["OrderPlaced", "ItemAdded"]
    assert commit.causation_id == cause
    assert commit.outbox[0].message_id == str(message.message_id)
    assert commit.outbox[0].body == message.body
    assert commit.outbox[0].headers == message.headers

    fresh = await repository(js).get(order.id)  # another process
    assert (fresh.status, fresh.items, fresh.sequence) == (
        "placed",
        [{"sku": "olive-oil", "quantity": 2}],
        sequence,
    )
    assert fresh.has_processed(cause)


async def test_hot_aggregates_are_not_read_from_the_stream_again(js, es_orders):
    repo = repository(js)
    order = Order(new_id())
    order.place("c-1")
    await repo.save(order)
    for n in range(20):
        current = await repo.get(order.id)
        current.add_item(f"sku-{n}", 1)
        await repo.save(current)
    assert repo.loads == 0
    assert repo.cache_hits == 20
    assert len((await repository(js).get(order.id)).items) == 20


async def test_two_processes_writing_one_aggregate_conflict_then_the_loser_reloads_and_wins(js, es_orders):
    ours, theirs = repository(js), repository(js)
    order = Order(new_id())
    order.place("c-1")
    await ours.save(order)
    await ours.get(order.id)  # cached here

    other = await theirs.get(order.id)
    other.add_item("honey", 1)
    await theirs.save(other, causation_id="their-message")

    stale = await ours.get(order.id)  # from the cache: does not know about the honey
    stale.add_item("bread", 1)
    with pytest.raises(ConcurrencyError):
        await ours.save(stale, causation_id="our-message")

    fresh = await ours.get(order.id)
    assert fresh.items == [{"sku": "honey", "quantity": 1}]
    fresh.add_item("bread", 1)
    await ours.save(fresh, causation_id="our-message")
    final = await repository(js).get(order.id)
    assert [i["sku"] for i in final.items] == ["honey", "bread"]
    assert final.causations >= {"their-message", "our-message"}


async def test_concurrent_handlers_in_one_process_serialise_through_retries(js, es_orders):
    repo = repository(js)
    order = Order(new_id())
    order.place("c-1")
    await repo.save(order)

    async def add(sku: str) -> int:
        conflicts = 0
        while True:
            current = await repo.get(order.id)
            current.add_item(sku, 1)
            try:
                await repo.save(current, causation_id=sku)
            except ConcurrencyError:
                conflicts += 1
                continue
            return conflicts

    conflicts = await asyncio.gather(*(add(f"sku-{n}") for n in range(8)))
    final = await repository(js).get(order.id)
    assert sorted(i["sku"] for i in final.items) == sorted(f"sku-{n}" for n in range(8))
    assert sum(conflicts) > 0


async def test_a_v1_event_stored_before_a_release_loads_as_v2(js, es_orders):
    before = Order(new_id())
    before.place("c-1")
    await repository(js).save(before)
    assert (await repository(js).store.load(before.id)).commits[0].events[0].version == 1

    after = await repository(js, OrderV2, upcasters=UPCASTERS).get(before.id)
    assert (after.customer, after.segment) == ("c-1", "unknown")
    after.add_item("olive-oil", 1)
    await repository(js, OrderV2, upcasters=UPCASTERS).save(after)
    commits = (await repository(js).store.load(before.id)).commits
    assert commits[0].events[0].version == 1  # history is never rewritten


class LosesFirstAck(EventStore):
    """Stores the commit, then reports a timeout, once: the ambiguous failure of a lost ack."""

    lost = False

    async def append(self, aggregate_id, commit, expected_sequence):
        appended = await super().append(aggregate_id, commit, expected_sequence)
        if not self.lost:
            self.lost = True
            raise StoreUnavailableError("no acknowledgement")
        return appended


async def test_a_save_retried_after_a_lost_ack_stores_the_commit_once(js, es_orders):
    repo = JetStreamRepository(LosesFirstAck(js, ES_ORDERS_STREAM, "es.order"), Order)
    order = Order(new_id())
    order.place("c-1")
    with pytest.raises(StoreUnavailableError):
        await repo.save(order)  # no causation id: nothing else would recognise the retry
    sequence = await repo.save(order)  # the handler retries the same decision
    loaded = await repo.store.load(order.id)
    assert len(loaded.commits) == 1
    assert loaded.last_sequence == sequence
    assert (await repository(js).get(order.id)).version == 1
