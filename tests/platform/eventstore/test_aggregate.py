"""Aggregates and the repository on the in-memory fake: dispatch, idempotency, caching, upcasting."""

import pytest

from services.platform.eventstore import (
    AggregateNotFoundError,
    ConcurrencyError,
    DomainEvent,
    EventVersionError,
    InMemoryRepository,
    InMemoryStore,
    upcast,
)

from .conftest import new_id, outgoing
from .domain import UPCASTERS, Order, OrderError, OrderV2


def test_a_triggered_event_is_applied_at_once_and_kept_pending():
    order = Order(new_id())
    order.place("c-1")
    assert order.status == "placed"
    assert order.version == 1
    assert [e.type for e in order.pending_events] == ["OrderPlaced"]
    assert order.pending_events[0].version == 1


def test_an_event_without_a_when_method_is_refused():
    order = Order(new_id())
    with pytest.raises(LookupError, match="Unknown"):
        order.apply(DomainEvent("Unknown", {}))


def test_a_subclass_when_method_overrides_its_base():
    order = OrderV2(new_id())
    order.place("c-1")
    assert order.segment == "retail"
    assert order.pending_events[0].version == 2


async def test_save_then_get_rebuilds_the_same_state():
    repo = InMemoryRepository(Order)
    order = Order(new_id())
    order.place("c-1")
    order.add_item("olive-oil", 2)
    sequence = await repo.save(order, causation_id="msg-1", outbox=[outgoing("order.created.v1", "ORDERS")])
    assert sequence == 1
    assert order.pending_events == ()
    assert order.sequence == 1

    loaded = await repo.get(order.id)
    assert (loaded.status, loaded.customer, loaded.items) == (
        "placed",
        "c-1",
        [{"sku": "olive-oil", "quantity": 2}],
    )
    assert loaded.version == 2
    assert loaded.sequence == 1
    assert loaded.has_processed("msg-1")
    assert not loaded.has_processed("msg-2")
    assert [m.subject for m in repo.store.outbox()] == ["order.created.v1"]


async def test_get_of_an_unknown_id_raises_and_find_returns_none():
    repo = InMemoryRepository(Order)
    with pytest.raises(AggregateNotFoundError):
        await repo.get(new_id())
    assert await repo.find(new_id()) is None


async def test_nothing_to_save_writes_nothing():
    repo = InMemoryRepository(Order)
    order = Order(new_id())
    assert await repo.save(order, causation_id="msg-1") is None
    assert list(repo.store.commits()) == []


async def test_a_redelivered_message_is_recognised_from_the_aggregate_history():
    repo = InMemoryRepository(Order)
    order = Order(new_id())
    order.place("c-1")
    await repo.save(order, causation_id="place-1")

    async def handle_add_item(message_id: str) -> None:
        current = await repo.get(order.id)
        if current.has_processed(message_id):
            return
        current.add_item("cheese", 1)
        await repo.save(current, causation_id=message_id)

    await handle_add_item("add-1")
    await handle_add_item("add-1")  # redelivery
    assert (await repo.get(order.id)).items == [{"sku": "cheese", "quantity": 1}]


async def test_hot_aggregates_come_from_the_cache_and_a_conflict_reloads_them():
    store = InMemoryStore()
    mine, theirs = InMemoryRepository(Order, store=store), InMemoryRepository(Order, store=store)
    order = Order(new_id())
    order.place("c-1")
    await mine.save(order)

    for _ in range(3):
        again = await mine.get(order.id)
    assert (mine.loads, mine.cache_hits) == (0, 3)  # saved by this repository: never read back

    other = await theirs.get(order.id)  # another process adds an item
    other.add_item("honey", 1)
    await theirs.save(other)

    stale = await mine.get(order.id)
    stale.add_item("bread", 1)
    with pytest.raises(ConcurrencyError) as conflict:
        await mine.save(stale)
    assert (conflict.value.expected, conflict.value.actual) == (1, 2)

    fresh = await mine.get(order.id)  # reloaded
    assert mine.loads == 1
    assert fresh.items == [{"sku": "honey", "quantity": 1}]
    fresh.add_item("bread", 1)
    assert await mine.save(fresh) == 3
    assert again.items == []  # instances handed out are independent of the cache


async def test_a_failed_decision_leaves_the_cache_untouched():
    repo = InMemoryRepository(Order)
    order = Order(new_id())
    order.place("c-1")
    await repo.save(order)
    broken = await repo.get(order.id)
    broken.add_item("olive-oil", 1)
    with pytest.raises(OrderError):
        broken.place("c-2")  # the handler fails halfway and never saves
    assert (await repo.get(order.id)).items == []


async def test_the_cache_is_bounded():
    repo = InMemoryRepository(Order, cache_size=2)
    ids = [new_id() for _ in range(3)]
    for aggregate_id in ids:
        order = Order(aggregate_id)
        order.place("c")
        await repo.save(order)
    await repo.get(ids[0])  # evicted first
    assert repo.loads == 1


async def test_old_events_are_upcast_on_load():
    store = InMemoryStore()
    v1 = Order(new_id())
    v1.place("c-1")
    await InMemoryRepository(Order, store=store).save(v1)

    loaded = await InMemoryRepository(OrderV2, store=store, upcasters=UPCASTERS).get(v1.id)
    assert (loaded.customer, loaded.segment) == ("c-1", "unknown")


async def test_a_missing_upcaster_is_an_error_not_a_silent_old_shape():
    store = InMemoryStore()
    v1 = Order(new_id())
    v1.place("c-1")
    await InMemoryRepository(Order, store=store).save(v1)
    with pytest.raises(EventVersionError, match="version 1"):
        await InMemoryRepository(OrderV2, store=store).get(v1.id)


def test_upcasters_chain_until_the_current_version():
    chain = {("E", 1): lambda d: {**d, "b": 2}, ("E", 2): lambda d: {**d, "c": 3}}
    event = upcast(DomainEvent("E", {"a": 1}), chain, current=3)
    assert (event.version, dict(event.data)) == (3, {"a": 1, "b": 2, "c": 3})
    with pytest.raises(EventVersionError):
        upcast(DomainEvent("E", {}, version=4), chain, current=3)  # written by a newer release


def test_overriding_a_when_method_without_the_decorator_still_overrides_it():
    class Audited(Order):
        def _when_placed(self, event: DomainEvent) -> None:
            super()._when_placed(event)
            self.audited = True

    order = Audited(new_id())
    order.place("c-1")
    assert (order.status, order.audited) == ("placed", True)


def test_the_pending_commit_id_changes_only_with_the_pending_events():
    order = Order(new_id())
    order.place("c-1")
    first = order.pending_commit_id
    assert order.pending_commit_id == first
    order.add_item("honey", 1)
    assert order.pending_commit_id != first
