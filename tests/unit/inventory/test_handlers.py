"""The inventory use cases, message in, messages and stock out, on the fakes and on SQLite."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

from a4co_sdk.models import inventory
from services.inventory.domain.reservations import ReservationStatus
from services.inventory.domain.stock import ThresholdKind
from tests.unit.inventory.builders import (
    T0,
    commit,
    example,
    items_modified,
    listed,
    onboarded,
    order_created,
    release,
    reservation,
    state_changed,
)
from tests.unit.inventory.conftest import World

CONFIRMED = "inventory.reservation.confirmed.v1"
FAILED = "inventory.reservation.failed.v1"
EXPIRED = "inventory.reservation.expired.v1"
RELEASED = "inventory.reservation.released.v1"
COMMITTED = "inventory.reservation.committed.v1"
ADJUSTED = "inventory.stock.adjusted.v1"
REPORTED = "inventory.stock.reported.v1"
THRESHOLD = "inventory.threshold.reached.v1"
PO_CREATED = "inventory.purchase.order.created.v1"
PO_CANCELLED = "inventory.purchase.order.cancelled.v1"
RESTOCK = "inventory.restock.scheduled.v1"

OIL, PLATE, HONEY = (UUID(int=i) for i in (1, 2, 3))
ALMAZARA = uuid4()


async def stocked(world: World, *products: tuple[UUID, int], threshold: int = 2) -> None:
    for product_id, initial in products:
        await world.list_product(listed(product_id, ALMAZARA, initial=initial, threshold=threshold))


def level(body: dict[str, object], product_id: UUID) -> dict[str, object]:
    levels = body["stockLevels"]
    assert isinstance(levels, list)
    return next(lv for lv in levels if lv["productId"] == str(product_id))


# -- product listed -------------------------------------------------------------------------------------


async def test_a_listed_product_gets_its_initial_stock_and_says_so(world: World) -> None:
    await world.list_product(listed(OIL, ALMAZARA, initial=120, threshold=10))

    adjusted = await world.last(ADJUSTED)
    assert adjusted["reason"] == "initial"
    assert adjusted["delta"] == 120
    assert adjusted["stockLevel"] == {
        "productId": str(OIL),
        "onHand": 120,
        "reserved": 0,
        "available": 120,
        "version": 1,
    }
    assert (await world.stock(OIL)).on_hand == 120


async def test_listing_a_product_again_keeps_the_stock_it_has(world: World) -> None:
    await stocked(world, (OIL, 10))
    await world.reserve(reservation([(OIL, 4)]))

    await world.list_product(listed(OIL, ALMAZARA, initial=50))

    stock = await world.stock(OIL)
    assert (stock.on_hand, stock.reserved, stock.version) == (10, 4, 2)
    assert len(await world.sent(ADJUSTED)) == 1


async def test_a_product_listed_below_its_threshold_is_announced_at_once(world: World) -> None:
    await world.list_product(listed(OIL, ALMAZARA, initial=3, threshold=10))

    reached = await world.last(THRESHOLD)
    assert reached["thresholdType"] == "low"
    assert reached["currentStock"] == 3
    assert reached["threshold"] == 5


# -- reservations ---------------------------------------------------------------------------------------


async def test_a_reservation_holds_every_line_in_the_artisans_workshop(world: World) -> None:
    await world.onboard(onboarded(ALMAZARA, town="Bedmar"))
    await stocked(world, (OIL, 10), (PLATE, 5))
    request = reservation([(OIL, 3), (PLATE, 1), (OIL, 2)])  # two lines of the same product add up

    await world.reserve(request)

    confirmed = await world.last(CONFIRMED)
    assert confirmed["reservationId"] == str(request.reservation_id)
    assert confirmed["totalReserved"] == 6
    assert confirmed["expiresAt"] == request.expiration_time.isoformat().replace("+00:00", "Z")
    assert {(i["productId"], i["quantity"]) for i in confirmed["reservedItems"]} == {
        (str(OIL), 5),
        (str(PLATE), 1),
    }
    assert {i["location"] for i in confirmed["reservedItems"]} == {"Bedmar · taller del artesano"}
    assert {i["warehouseId"] for i in confirmed["reservedItems"]} == {f"taller-{ALMAZARA}"}
    assert level(confirmed, OIL) == {
        "productId": str(OIL),
        "onHand": 10,
        "reserved": 5,
        "available": 5,
        "version": 2,
    }
    assert (await world.stock(PLATE)).available == 4


async def test_units_of_an_artisan_not_onboarded_are_in_the_central_warehouse(world: World) -> None:
    await stocked(world, (OIL, 10))
    await world.reserve(reservation([(OIL, 1)]))

    item = (await world.last(CONFIRMED))["reservedItems"][0]
    assert (item["warehouseId"], item["location"]) == ("a4co-jaen", "Jaén · almacén A4CO")


async def test_a_reservation_is_all_or_nothing(world: World) -> None:
    await stocked(world, (OIL, 10), (PLATE, 1))

    await world.reserve(reservation([(OIL, 3), (PLATE, 2)]))

    failed = await world.last(FAILED)
    assert failed["reason"] == "insufficient_stock"
    assert failed["unavailableItems"] == [{"productId": str(PLATE), "requested": 2, "available": 1}]
    oil = await world.stock(OIL)
    assert (oil.reserved, oil.version) == (0, 1)  # the line that fitted was not held either
    assert await world.sent(CONFIRMED) == []


async def test_a_reservation_of_an_unknown_product_fails_as_such(world: World) -> None:
    await stocked(world, (OIL, 10))

    await world.reserve(reservation([(OIL, 1), (HONEY, 1)]))

    failed = await world.last(FAILED)
    assert failed["reason"] == "unknown_product"
    assert failed["unavailableItems"] == [{"productId": str(HONEY), "requested": 1, "available": 0}]
    assert (await world.stock(OIL)).reserved == 0


async def test_a_repeated_request_is_answered_again_and_holds_nothing_more(world: World) -> None:
    await stocked(world, (OIL, 10))
    request = reservation([(OIL, 4)])

    await world.reserve(request)
    await world.reserve(request)  # the saga asked again (new message id, same reservation id)

    first, second = await world.sent(CONFIRMED)
    assert first == second
    stock = await world.stock(OIL)
    assert (stock.reserved, stock.version) == (4, 2)


async def test_a_repeated_failed_request_fails_again_the_same_way(world: World) -> None:
    await stocked(world, (OIL, 1))
    request = reservation([(OIL, 4)])

    await world.reserve(request)
    await world.list_product(listed(PLATE, ALMAZARA))  # something else happens meanwhile
    await world.reserve(request)

    first, second = await world.sent(FAILED)
    assert first == second


async def test_a_request_that_arrives_after_its_expiration_holds_nothing(world: World) -> None:
    await stocked(world, (OIL, 10))
    request = reservation([(OIL, 4)], expires=T0 - timedelta(seconds=1))

    await world.reserve(request)

    expired = await world.last(EXPIRED)
    assert expired["reservationId"] == str(request.reservation_id)
    assert expired["releasedItems"] == []
    assert (await world.stock(OIL)).reserved == 0
    assert await world.sent(CONFIRMED) == []


# -- release --------------------------------------------------------------------------------------------


async def test_a_release_frees_the_held_units(world: World) -> None:
    await stocked(world, (OIL, 10))
    request = reservation([(OIL, 4)])
    await world.reserve(request)

    await world.release(release(request.reservation_id, request.order_id, "payment declined"))

    released = await world.last(RELEASED)
    assert released["releasedItems"] == [{"productId": str(OIL), "quantity": 4}]
    assert released["reason"] == "payment declined"
    assert level(released, OIL) == {
        "productId": str(OIL),
        "onHand": 10,
        "reserved": 0,
        "available": 10,
        "version": 3,
    }


async def test_a_repeated_release_is_answered_with_nothing_left_to_free(world: World) -> None:
    await stocked(world, (OIL, 10))
    request = reservation([(OIL, 4)])
    await world.reserve(request)
    asked = release(request.reservation_id, request.order_id)

    await world.release(asked)
    await world.release(asked)

    first, second = await world.sent(RELEASED)
    assert first["releasedItems"] == [{"productId": str(OIL), "quantity": 4}]
    assert second["releasedItems"] == []
    stock = await world.stock(OIL)
    assert (stock.reserved, stock.version) == (0, 3)


async def test_a_release_before_its_reservation_leaves_a_tombstone_the_late_request_finds(
    world: World,
) -> None:
    await stocked(world, (OIL, 10))
    request = reservation([(OIL, 4)])

    await world.release(release(request.reservation_id, request.order_id, "saga compensated"))
    await world.reserve(request)

    first, second = await world.sent(RELEASED)
    assert first["releasedItems"] == second["releasedItems"] == []
    assert second["reservationId"] == str(request.reservation_id)
    assert await world.sent(CONFIRMED) == []
    assert (await world.stock(OIL)).reserved == 0


async def test_releasing_a_committed_reservation_brings_the_units_back_on_hand(world: World) -> None:
    await stocked(world, (OIL, 10))
    request = reservation([(OIL, 4)])
    await world.reserve(request)
    await world.commit(commit(request.reservation_id, request.order_id))

    await world.release(release(request.reservation_id, request.order_id, "another line expired"))

    released = await world.last(RELEASED)
    assert released["releasedItems"] == [{"productId": str(OIL), "quantity": 4}]
    stock = await world.stock(OIL)
    assert (stock.on_hand, stock.reserved) == (10, 0)


# -- commit ---------------------------------------------------------------------------------------------


async def test_a_commit_turns_held_units_into_a_sale(world: World) -> None:
    await stocked(world, (OIL, 10))
    request = reservation([(OIL, 4)])
    await world.reserve(request)

    await world.commit(commit(request.reservation_id, request.order_id))

    committed = await world.last(COMMITTED)
    assert committed["committedItems"] == [{"productId": str(OIL), "quantity": 4}]
    assert level(committed, OIL) == {
        "productId": str(OIL),
        "onHand": 6,
        "reserved": 0,
        "available": 6,
        "version": 3,
    }


async def test_a_repeated_commit_is_answered_again_without_selling_twice(world: World) -> None:
    await stocked(world, (OIL, 10))
    request = reservation([(OIL, 4)])
    await world.reserve(request)
    asked = commit(request.reservation_id, request.order_id)

    await world.commit(asked)
    await world.commit(asked)

    first, second = await world.sent(COMMITTED)
    assert first["committedItems"] == second["committedItems"]
    assert (await world.stock(OIL)).on_hand == 6


async def test_a_commit_after_the_expiry_time_expires_the_reservation_instead(world: World) -> None:
    await stocked(world, (OIL, 10))
    request = reservation([(OIL, 4)], expires=T0 + timedelta(seconds=30))
    await world.reserve(request)

    await world.commit(commit(request.reservation_id, request.order_id), now=T0 + timedelta(seconds=31))

    expired = await world.last(EXPIRED)
    assert expired["releasedItems"] == [{"productId": str(OIL), "quantity": 4}]
    assert await world.sent(COMMITTED) == []
    stock = await world.stock(OIL)
    assert (stock.on_hand, stock.reserved) == (10, 0)


async def test_committing_an_expired_or_unknown_reservation_answers_expired(world: World) -> None:
    await stocked(world, (OIL, 10))
    request = reservation([(OIL, 4)], expires=T0 + timedelta(seconds=30))
    await world.reserve(request)
    await world.expire(T0 + timedelta(seconds=30))
    stranger = uuid4()

    await world.commit(commit(request.reservation_id, request.order_id), now=T0 + timedelta(minutes=1))
    await world.commit(commit(stranger, uuid4()), now=T0 + timedelta(minutes=1))

    timer, late, unknown = await world.sent(EXPIRED)
    assert timer["releasedItems"] == [{"productId": str(OIL), "quantity": 4}]
    assert late["releasedItems"] == unknown["releasedItems"] == []
    assert unknown["reservationId"] == str(stranger)
    assert (await world.stock(OIL)).on_hand == 10


# -- expiry ---------------------------------------------------------------------------------------------


async def test_the_timer_expires_due_reservations_only(world: World) -> None:
    await stocked(world, (OIL, 10))
    soon = reservation([(OIL, 2)], expires=T0 + timedelta(seconds=10))
    later = reservation([(OIL, 3)], expires=T0 + timedelta(seconds=60))
    committed = reservation([(OIL, 1)], expires=T0 + timedelta(seconds=5))
    for request in (soon, later, committed):
        await world.reserve(request)
    await world.commit(commit(committed.reservation_id, committed.order_id))

    assert await world.expire(T0 + timedelta(seconds=10)) == 1
    assert await world.expire(T0 + timedelta(seconds=10)) == 0

    expired = await world.last(EXPIRED)
    assert expired["reservationId"] == str(soon.reservation_id)
    assert expired["releasedItems"] == [{"productId": str(OIL), "quantity": 2}]
    stock = await world.stock(OIL)
    assert (stock.on_hand, stock.reserved) == (9, 3)


async def test_a_request_repeated_after_its_expiry_time_expires_it(world: World) -> None:
    await stocked(world, (OIL, 10))
    request = reservation([(OIL, 2)], expires=T0 + timedelta(seconds=10))
    await world.reserve(request)

    await world.reserve(request, now=T0 + timedelta(seconds=10))  # before the timer's round

    assert len(await world.sent(CONFIRMED)) == 1
    assert (await world.last(EXPIRED))["releasedItems"] == [{"productId": str(OIL), "quantity": 2}]
    assert (await world.stock(OIL)).reserved == 0


async def test_an_expired_reservation_asked_for_again_is_answered_expired(world: World) -> None:
    await stocked(world, (OIL, 10))
    request = reservation([(OIL, 2)], expires=T0 + timedelta(seconds=10))
    await world.reserve(request)
    await world.expire(T0 + timedelta(seconds=10))

    await world.reserve(request, now=T0 + timedelta(seconds=11))

    assert len(await world.sent(CONFIRMED)) == 1
    assert [e["releasedItems"] for e in await world.sent(EXPIRED)] == [
        [{"productId": str(OIL), "quantity": 2}],
        [],
    ]
    assert (await world.stock(OIL)).reserved == 0


# -- orders ---------------------------------------------------------------------------------------------


async def test_a_cancelled_order_gives_back_everything_it_still_holds(world: World) -> None:
    await stocked(world, (OIL, 10), (PLATE, 10))
    order_id = uuid4()
    held = reservation([(OIL, 2)], order_id=order_id)
    sold = reservation([(PLATE, 3)], order_id=order_id)
    other = reservation([(OIL, 1)])
    for request in (held, sold, other):
        await world.reserve(request)
    await world.commit(commit(sold.reservation_id, order_id))

    await world.state_changed(state_changed(order_id, "cancelled"))
    await world.state_changed(state_changed(order_id, "cancelled"))  # a duplicate changes nothing

    released = await world.sent(RELEASED)
    assert {r["reservationId"] for r in released} == {str(held.reservation_id), str(sold.reservation_id)}
    oil, plate = await world.stock(OIL), await world.stock(PLATE)
    assert (oil.on_hand, oil.reserved) == (10, 1)  # the other order's hold stays
    assert (plate.on_hand, plate.reserved) == (10, 0)


async def test_other_order_states_leave_stock_alone(world: World) -> None:
    await stocked(world, (OIL, 10))
    request = reservation([(OIL, 2)])
    await world.reserve(request)

    await world.state_changed(state_changed(request.order_id, "paid", previous="payment_processing"))

    assert await world.sent(RELEASED) == []
    assert (await world.stock(OIL)).reserved == 2


async def test_lowered_and_removed_lines_come_back_on_hand_once(world: World) -> None:
    await stocked(world, (OIL, 10), (PLATE, 10))
    order_id = uuid4()
    for product_id, quantity in ((OIL, 5), (PLATE, 2)):
        request = reservation([(product_id, quantity)], order_id=order_id)
        await world.reserve(request)
        await world.commit(commit(request.reservation_id, order_id))
    change = items_modified(order_id, modified=[(OIL, 2)], removed=[(PLATE, 2)])

    await world.items_modified(change)
    await world.items_modified(change)  # seen again: nothing more comes back

    adjusted = [a for a in await world.sent(ADJUSTED) if a["reason"] == "order_modified"]
    assert {(a["productId"], a["delta"]) for a in adjusted} == {(str(OIL), 3), (str(PLATE), 2)}
    assert (await world.stock(OIL)).on_hand == 8
    assert (await world.stock(PLATE)).on_hand == 10


async def test_releasing_a_lowered_order_returns_only_what_it_still_holds(world: World) -> None:
    await stocked(world, (OIL, 10))
    request = reservation([(OIL, 5)])
    await world.reserve(request)
    await world.commit(commit(request.reservation_id, request.order_id))
    await world.items_modified(items_modified(request.order_id, modified=[(OIL, 2)]))  # 3 came back

    await world.release(release(request.reservation_id, request.order_id))

    assert (await world.last(RELEASED))["releasedItems"] == [{"productId": str(OIL), "quantity": 2}]
    assert (await world.stock(OIL)).on_hand == 10


async def test_a_modification_of_lines_never_committed_returns_nothing(world: World) -> None:
    await stocked(world, (OIL, 10))

    await world.items_modified(items_modified(uuid4(), removed=[(OIL, 2)]))

    assert [a["reason"] for a in await world.sent(ADJUSTED)] == ["initial"]
    assert (await world.stock(OIL)).on_hand == 10


# -- thresholds -----------------------------------------------------------------------------------------


async def test_a_threshold_is_announced_once_per_crossing(world: World) -> None:
    await stocked(world, (OIL, 20), threshold=10)
    first = reservation([(OIL, 10)])  # available 10: reorder
    await world.reserve(first)
    await world.reserve(reservation([(OIL, 1)]))  # 9: still reorder, no new event
    await world.reserve(reservation([(OIL, 4)]))  # 5: low

    assert [r["thresholdType"] for r in await world.sent(THRESHOLD)] == ["reorder", "low"]

    await world.release(release(first.reservation_id, first.order_id))  # back to 15: re-armed
    await world.reserve(reservation([(OIL, 15)]))  # 0: critical

    reached = await world.sent(THRESHOLD)
    assert [r["thresholdType"] for r in reached] == ["reorder", "low", "critical"]
    assert reached[-1]["currentStock"] == 0
    assert reached[-1]["threshold"] == 0
    assert (await world.stock(OIL)).alert is ThresholdKind.CRITICAL


async def test_a_threshold_event_carries_demand_and_a_stockout_estimate(world: World) -> None:
    await world.list_product(listed(OIL, ALMAZARA, initial=100, threshold=30, at=T0 - timedelta(days=60)))
    await world.order_created(order_created(uuid4(), [(OIL, 40)], at=T0 - timedelta(days=3)))
    late = uuid4()
    await world.order_created(order_created(late, [(OIL, 20)], at=T0 - timedelta(days=1)))
    await world.order_created(order_created(late, [(OIL, 20)], at=T0 - timedelta(days=1)))  # seen again
    await world.order_created(order_created(uuid4(), [(OIL, 500)], at=T0 - timedelta(days=45)))  # too old

    await world.reserve(reservation([(OIL, 70)]))

    reached = await world.last(THRESHOLD)
    assert reached["thresholdType"] == "reorder"
    assert reached["averageDailySales"] == 2.0  # 60 units in the last 30 days
    assert reached["estimatedStockoutDate"].startswith("2026-12-05")  # 30 available / 2 a day = 15 days
    assert reached["lastRestockDate"].startswith("2026-09-21")  # the listing
    assert reached["productName"] == f"Producto {str(OIL)[:8]}"


# -- the replenishment saga -----------------------------------------------------------------------------


def reached_event(
    world_product: UUID, kind: str = "reorder", average: float = 1.0
) -> inventory.StockThresholdReached:
    return example(
        inventory.StockThresholdReached,
        productId=str(world_product),
        artisanId=str(ALMAZARA),
        thresholdType=kind,
        threshold=10,
        currentStock=8,
        averageDailySales=average,
    )


async def test_the_saga_orders_what_the_workshop_can_make_and_schedules_the_restock(world: World) -> None:
    await world.onboard(onboarded(ALMAZARA, capacity=100))
    await stocked(world, (OIL, 8), threshold=10)
    event_id = uuid4()

    await world.replenish(reached_event(OIL, average=2.0), event_id, delay=timedelta(seconds=60))
    await world.replenish(reached_event(OIL, average=2.0), event_id)  # the same event again

    (created,) = await world.sent(PO_CREATED)
    assert created["quantity"] == 60  # 30 days of 2 a day
    assert created["thresholdType"] == "reorder"
    assert created["expectedBy"] == (T0 + timedelta(seconds=60)).isoformat().replace("+00:00", "Z")
    (scheduled,) = await world.sent(RESTOCK)
    assert scheduled["purchaseOrderId"] == created["purchaseOrderId"]
    assert scheduled["quantity"] == 60


async def test_a_due_restock_adds_the_units_and_rearms_the_threshold(world: World) -> None:
    await world.onboard(onboarded(ALMAZARA, capacity=100))
    await stocked(world, (OIL, 8), threshold=10)
    await world.replenish(reached_event(OIL, average=1.0), uuid4(), delay=timedelta(seconds=60))

    assert await world.restock(T0 + timedelta(seconds=59)) == 0
    assert await world.restock(T0 + timedelta(seconds=60)) == 1
    assert await world.restock(T0 + timedelta(seconds=61)) == 0

    adjusted = await world.last(ADJUSTED)
    assert (adjusted["reason"], adjusted["delta"]) == ("restock", 30)
    assert adjusted["stockLevel"]["onHand"] == 38
    stock = await world.stock(OIL)
    assert (stock.on_hand, stock.alert, stock.last_restock_at) == (38, None, T0 + timedelta(seconds=60))


async def test_the_saga_orders_no_more_than_the_capacity_left(world: World) -> None:
    await world.onboard(onboarded(ALMAZARA, capacity=50))
    await stocked(world, (OIL, 8), (PLATE, 8), threshold=10)

    await world.replenish(reached_event(OIL, average=1.0), uuid4())  # 30 of 50
    await world.replenish(reached_event(PLATE, average=1.0), uuid4())  # 20 left

    assert [c["quantity"] for c in await world.sent(PO_CREATED)] == [30, 20]


async def test_the_saga_compensates_when_the_workshop_has_no_capacity(world: World) -> None:
    await world.onboard(onboarded(ALMAZARA, capacity=30))
    await stocked(world, (OIL, 8), (PLATE, 8), threshold=10)
    await world.replenish(reached_event(OIL), uuid4())

    await world.replenish(reached_event(PLATE), uuid4())

    (cancelled,) = await world.sent(PO_CANCELLED)
    assert cancelled["productId"] == str(PLATE)
    assert "no capacity left" in cancelled["reason"]
    assert len(await world.sent(RESTOCK)) == 1


async def test_the_saga_compensates_when_the_capacity_is_unknown(world: World) -> None:
    await stocked(world, (OIL, 8), threshold=10)

    await world.replenish(reached_event(OIL), uuid4())

    assert "unknown" in (await world.last(PO_CANCELLED))["reason"]
    assert await world.sent(PO_CREATED) == []


async def test_the_saga_skips_when_an_order_is_on_its_way_or_stock_recovered(world: World) -> None:
    await world.onboard(onboarded(ALMAZARA, capacity=1000))
    await stocked(world, (OIL, 8), (PLATE, 50), threshold=10)
    await world.replenish(reached_event(OIL), uuid4())

    await world.replenish(reached_event(OIL, kind="low"), uuid4())  # one open order per product
    await world.replenish(reached_event(PLATE), uuid4())  # 50 available: nothing to do any more

    assert len(await world.sent(PO_CREATED)) == 1
    assert await world.sent(PO_CANCELLED) == []


# -- report and projection ------------------------------------------------------------------------------


async def test_the_report_sends_every_level_in_chunks(world: World) -> None:
    products = [UUID(int=i) for i in range(1, 6)]
    await stocked(world, *((p, 10) for p in products))

    assert await world.report(chunk=2) == 5

    reports = await world.sent(REPORTED)
    assert [(r["chunk"], r["chunks"]) for r in reports] == [(1, 3), (2, 3), (3, 3)]
    assert len({r["reportId"] for r in reports}) == 1
    assert [lv["productId"] for r in reports for lv in r["levels"]] == [str(p) for p in products]


async def test_an_empty_inventory_reports_nothing(world: World) -> None:
    assert await world.report() == 0
    assert await world.sent(REPORTED) == []


def stock_level(product_id: UUID, on_hand: int, reserved: int, version: int) -> inventory.StockLevel:
    return inventory.StockLevel(
        product_id=product_id,
        on_hand=on_hand,
        reserved=reserved,
        available=on_hand - reserved,
        version=version,
    )


async def test_the_projection_keeps_only_newer_levels_and_refreshes_the_cache(world: World) -> None:
    assert await world.project([stock_level(OIL, 10, 2, 5)]) == 1
    assert await world.project([stock_level(OIL, 10, 0, 4)]) == 0  # older, arrived late
    assert await world.project([stock_level(OIL, 10, 2, 5)]) == 0  # redelivered
    assert await world.project([stock_level(OIL, 9, 0, 7), stock_level(PLATE, 1, 1, 1)]) == 2  # a gap is fine

    async with world.unit() as (_, stores):
        row = await stores.availability.get(OIL)
    assert row is not None
    assert (row.on_hand, row.reserved, row.version) == (9, 0, 7)
    assert world.cache.entries[OIL].version == 7


async def test_reservation_states_are_stored(world: World) -> None:
    await stocked(world, (OIL, 10))
    request = reservation([(OIL, 2)])
    await world.reserve(request)
    await world.commit(commit(request.reservation_id, request.order_id))

    async with world.unit() as (_, stores):
        stored = await stores.reservations.get(request.reservation_id)
    assert stored is not None
    assert stored.status is ReservationStatus.COMMITTED
    assert [(line.product_id, line.quantity) for line in stored.lines] == [(OIL, 2)]
