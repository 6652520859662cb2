"""The inventory rules on plain values: stock changes, bands, shortages, reservations, replenishment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from services.inventory.domain.replenishment import (
    PurchaseStatus,
    Workshop,
    average_daily_sales,
    estimated_stockout,
    plan_purchase,
    recommended_quantity,
)
from services.inventory.domain.reservations import (
    Answer,
    HeldLine,
    Reservation,
    ReservationConflictError,
    ReservationStatus,
    where_held,
)
from services.inventory.domain.stock import (
    InsufficientStockError,
    Line,
    ShortageReason,
    Stock,
    StockInvariantError,
    ThresholdKind,
    Unavailable,
    alert_for,
    cross,
    merge_lines,
    shortage,
)

T0 = datetime(2026, 11, 20, 10, tzinfo=UTC)
OIL, PLATE = UUID(int=1), UUID(int=2)


def stock(on_hand: int = 10, reserved: int = 0, threshold: int = 4) -> Stock:
    return Stock(OIL, UUID(int=9), "AOVE", threshold, on_hand, reserved, 1, None, T0, T0)


# -- stock ----------------------------------------------------------------------------------------------


def test_every_change_adds_one_to_the_version_and_keeps_the_numbers_consistent() -> None:
    held = stock().hold(4)
    assert (held.on_hand, held.reserved, held.available, held.version) == (10, 4, 6, 2)
    sold = held.take(3)
    assert (sold.on_hand, sold.reserved, sold.version) == (7, 1, 3)
    freed = sold.free(1)
    assert (freed.on_hand, freed.reserved, freed.version) == (7, 0, 4)
    back = freed.receive(5, restocked_at=T0 + timedelta(days=1))
    assert (back.on_hand, back.version, back.last_restock_at) == (12, 5, T0 + timedelta(days=1))


def test_nothing_can_hold_more_than_is_available() -> None:
    with pytest.raises(InsufficientStockError) as raised:
        stock(on_hand=10, reserved=8).hold(3)
    assert (raised.value.requested, raised.value.available) == (3, 2)


@pytest.mark.parametrize(("change", "quantity"), [("free", 3), ("take", 3), ("receive", 0)])
def test_freeing_or_taking_what_is_not_held_is_refused(change: str, quantity: int) -> None:
    with pytest.raises(StockInvariantError):
        getattr(stock(reserved=2), change)(quantity)


@pytest.mark.parametrize(
    ("available", "band"),
    [
        (11, None),
        (10, ThresholdKind.REORDER),
        (6, ThresholdKind.REORDER),
        (5, ThresholdKind.LOW),
        (1, ThresholdKind.LOW),
        (0, ThresholdKind.CRITICAL),
    ],
)
def test_bands_of_a_threshold_of_ten(available: int, band: ThresholdKind | None) -> None:
    assert alert_for(available, 10) is band


def test_a_threshold_of_zero_only_warns_when_sold_out() -> None:
    assert alert_for(1, 0) is None
    assert alert_for(0, 0) is ThresholdKind.CRITICAL


def test_a_band_is_reached_once_and_rearmed_by_recovering() -> None:
    first = cross(None, 10, 10)
    assert (first.alert, first.reached) == (ThresholdKind.REORDER, ThresholdKind.REORDER)
    again = cross(first.alert, 9, 10)
    assert (again.alert, again.reached) == (ThresholdKind.REORDER, None)
    deeper = cross(again.alert, 0, 10)
    assert (deeper.alert, deeper.reached) == (ThresholdKind.CRITICAL, ThresholdKind.CRITICAL)
    partly = cross(deeper.alert, 3, 10)
    assert (partly.alert, partly.reached) == (ThresholdKind.LOW, None)
    recovered = cross(partly.alert, 30, 10)
    assert (recovered.alert, recovered.reached) == (None, None)
    assert cross(recovered.alert, 10, 10).reached is ThresholdKind.REORDER


def test_lines_of_one_product_are_merged_and_sorted_by_product() -> None:
    assert merge_lines([Line(PLATE, 1), Line(OIL, 2), Line(PLATE, 3)]) == (Line(OIL, 2), Line(PLATE, 4))


def test_a_shortage_lists_each_line_that_cannot_be_served() -> None:
    records = {OIL: stock(on_hand=5)}
    assert shortage([Line(OIL, 5)], records) is None
    short = shortage([Line(OIL, 6)], records)
    assert short is not None
    assert short.reason is ShortageReason.INSUFFICIENT_STOCK
    assert short.items == (Unavailable(OIL, 6, 5),)
    unknown = shortage([Line(OIL, 6), Line(PLATE, 1)], records)
    assert unknown is not None
    assert unknown.reason is ShortageReason.UNKNOWN_PRODUCT
    assert unknown.items == (Unavailable(OIL, 6, 5), Unavailable(PLATE, 1, 0))


# -- reservations ---------------------------------------------------------------------------------------


def held(expires: datetime = T0 + timedelta(minutes=2)) -> Reservation:
    line = HeldLine(OIL, 2, "a4co-jaen", "Jaén · almacén A4CO")
    return Reservation.held(UUID(int=7), UUID(int=8), (line,), priority="vip", expires_at=expires, now=T0)


def test_a_held_reservation_answers_confirmed_until_it_ends() -> None:
    reservation = held()
    assert reservation.answer() is Answer.CONFIRMED
    assert reservation.commit(T0).answer() is Answer.CONFIRMED
    assert reservation.release(T0, "compensation").answer() is Answer.RELEASED
    assert reservation.expire(T0 + timedelta(minutes=2)).answer() is Answer.EXPIRED


def test_a_reservation_cannot_be_committed_once_its_time_is_up() -> None:
    reservation = held(expires=T0 + timedelta(seconds=30))
    assert not reservation.is_due(T0 + timedelta(seconds=29))
    assert reservation.is_due(T0 + timedelta(seconds=30))
    with pytest.raises(ReservationConflictError):
        reservation.commit(T0 + timedelta(seconds=30))


def test_only_held_reservations_expire_and_only_held_or_committed_ones_are_released() -> None:
    committed = held().commit(T0)
    with pytest.raises(ReservationConflictError):
        committed.expire(T0 + timedelta(hours=1))
    released = committed.release(T0, "compensation")
    assert released.status is ReservationStatus.RELEASED
    with pytest.raises(ReservationConflictError):
        released.release(T0, "twice")


def test_a_tombstone_holds_nothing_and_answers_released() -> None:
    tombstone = Reservation.tombstone(UUID(int=7), UUID(int=8), reason="early", now=T0)
    assert tombstone.lines == ()
    assert tombstone.answer() is Answer.RELEASED


def test_units_are_held_in_the_artisans_workshop_once_its_town_is_known() -> None:
    artisan = UUID(int=9)
    assert where_held(artisan, None) == ("a4co-jaen", "Jaén · almacén A4CO")
    shop = Workshop(artisan, "Úbeda", 100, T0)
    assert where_held(artisan, shop) == (f"taller-{artisan}", "Úbeda · taller del artesano")


# -- demand and replenishment ---------------------------------------------------------------------------


def test_average_daily_sales_divide_by_the_days_the_product_was_on_sale() -> None:
    assert average_daily_sales(60, listed_at=T0 - timedelta(days=90), now=T0) == 2.0
    assert average_daily_sales(9, listed_at=T0 - timedelta(days=3), now=T0) == 3.0
    assert average_daily_sales(5, listed_at=T0 - timedelta(hours=1), now=T0) == 5.0


def test_the_stockout_estimate() -> None:
    assert estimated_stockout(0, 2.0, T0) == T0
    assert estimated_stockout(30, 2.0, T0) == T0 + timedelta(days=15)
    assert estimated_stockout(30, 0.0, T0) == T0 + timedelta(days=365)
    assert estimated_stockout(10**6, 0.001, T0) == T0 + timedelta(days=365)


def test_the_recommended_quantity_covers_a_month_and_at_least_the_threshold() -> None:
    assert recommended_quantity(2.0, 10) == 60
    assert recommended_quantity(0.1, 10) == 10
    assert recommended_quantity(0.0, 0) == 1


@pytest.mark.parametrize(
    ("capacity", "open_units", "open_for_product", "still_low", "status", "quantity"),
    [
        (100, 0, False, True, PurchaseStatus.SCHEDULED, 60),
        (100, 70, False, True, PurchaseStatus.SCHEDULED, 30),
        (100, 100, False, True, PurchaseStatus.CANCELLED, 60),
        (None, 0, False, True, PurchaseStatus.CANCELLED, 60),
        (100, 0, True, True, PurchaseStatus.SKIPPED, 0),
        (100, 0, False, False, PurchaseStatus.SKIPPED, 0),
    ],
)
def test_what_the_saga_decides(
    capacity: int | None,
    open_units: int,
    open_for_product: bool,
    still_low: bool,
    status: PurchaseStatus,
    quantity: int,
) -> None:
    decision = plan_purchase(
        recommended=60,
        capacity=capacity,
        open_units=open_units,
        open_for_product=open_for_product,
        still_low=still_low,
    )
    assert (decision.status, decision.quantity) == (status, quantity)
    assert (decision.reason is None) == (status is PurchaseStatus.SCHEDULED)
