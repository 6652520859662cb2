"""The order's fulfilment saga, step by step, with every compensation path (pure domain, no I/O)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from services.order.domain import events as ev
from services.order.domain.order import STEPS, CatalogueEntry, Order, OrderStateConflict, derived_id

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
OIL, PLATE = uuid4(), uuid4()
ALMAZARA, CERAMICA = uuid4(), uuid4()
CATALOGUE = {
    OIL: CatalogueEntry(ALMAZARA, "AOVE Picual 500 ml", "olive-oil", Decimal("9.80")),
    PLATE: CatalogueEntry(CERAMICA, "Plato verde de Úbeda", "ceramics", Decimal("34.00")),
}
BAEZA = {
    "recipientName": "María",
    "street": "Calle Real 12",
    "postalCode": "23440",
    "city": "Baeza",
    "province": "Jaén",
    "country": "ES",
}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def placed(address: dict[str, str] | None = None, oil_price: str = "9.80") -> Order:
    order = Order.place(
        order_id=uuid4(),
        customer_id=uuid4(),
        lines=[(OIL, 3, Decimal(oil_price)), (PLATE, 1, Decimal("34.00"))],
        delivery_address=address or BAEZA,
        payment_method_id=uuid4(),
        device="mobile",
        session_id="s-1",
        correlation_id=uuid4(),
        catalogue=CATALOGUE,
        now=T0,
    )
    order.collect()
    return order


def kinds(order: Order) -> list[str]:
    return [type(e).__name__ for e in order.collect()]


def reserve_all(order: Order) -> None:
    for reservation_id in list(order.reservations):
        order.record_reservation_confirmed(reservation_id, catalogue=CATALOGUE, now=at(1))


def through_payment(order: Order) -> None:
    order.record_customer_validation(valid=True, segments=["repeat-buyer"], rejection=None, now=at(0.5))
    reserve_all(order)
    order.record_payment_method_validation(valid=True, method_type="card", rejection=None, now=at(2))
    order.record_payment_succeeded(reference="RSY-1", now=at(3))


def confirmed(order: Order) -> Order:
    through_payment(order)
    for reservation_id in list(order.reservations):
        order.record_reservation_committed(reservation_id, now=at(4))
    return order


def step_statuses(order: Order) -> dict[str, str]:
    return {name: order.steps[name].status for name in STEPS}


def test_a_placed_order_asks_whether_the_customer_may_order() -> None:
    order = Order.place(
        order_id=uuid4(),
        customer_id=uuid4(),
        lines=[(OIL, 1, Decimal("9.80"))],
        delivery_address=BAEZA,
        payment_method_id=uuid4(),
        device="app",
        session_id="s",
        correlation_id=uuid4(),
        catalogue=CATALOGUE,
        now=T0,
    )
    placed_event, started = order.collect()
    assert isinstance(placed_event, ev.OrderPlaced)
    assert placed_event.lines[0].artisan_id == ALMAZARA  # enriched from the catalogue
    assert isinstance(started, ev.StepStarted)
    assert started.step == "validate-customer"
    assert started.deadline == T0 + order.timeouts.step


def test_the_happy_path_runs_all_eight_steps_in_order() -> None:
    order = confirmed(placed())
    order.record_notification_scheduled(uuid4(), now=at(5))
    order.record_delivery_scheduled(
        delivery_id=uuid4(),
        carrier="Correos Express",
        tracking_code="CEX1234567",
        window=(at(86400), at(90000)),
        now=at(6),
    )
    assert order.state == "delivery_scheduled"
    assert order.saga_status == "completed"
    assert set(step_statuses(order).values()) == {"completed"}
    started = [s.started_at for s in order.steps.values()]
    assert started == sorted(started)
    assert [h[1] for h in order.history] == [
        "pending",
        "stock_reserved",
        "payment_processing",
        "paid",
        "confirmed",
        "delivery_scheduled",
    ]
    # repeat-buyer: 5 % off the ceramic plate (34.00 -> 32.30); Baeza is in Jaén, items >= 60 €: free delivery
    assert (order.subtotal, order.discount, order.delivery_cost, order.total) == (
        Decimal("63.40"),
        Decimal("1.70"),
        Decimal("0.00"),
        Decimal("61.70"),
    )


def test_reserving_asks_for_every_line_at_once_with_ids_that_survive_a_resend() -> None:
    order = placed()
    order.record_customer_validation(valid=True, segments=[], rejection=None, now=at(1))
    requested = next(e for e in order.collect() if isinstance(e, ev.ReservationsRequested))
    assert {product for _, product in requested.reservations} == {OIL, PLATE}
    assert requested.reservations[0][0] == derived_id(order.order_id, f"reservation:{OIL}")


def test_a_blocked_customer_cancels_the_order_without_touching_stock() -> None:
    order = placed()
    order.record_customer_validation(valid=False, segments=[], rejection="blocked", now=at(1))
    assert kinds(order) == [
        "CustomerChecked",
        "CompensationStarted",
        "StateChanged",
        "CompensationCompleted",
        "StateChanged",
    ]
    assert order.state == "cancelled"
    assert order.cancellation_reason == "customer_blocked"
    assert order.steps["validate-customer"].status == "failed"
    assert not order.reservations


def test_the_availability_check_fails_fast_without_reserving() -> None:
    order = placed()
    order.record_customer_validation(valid=True, segments=[], rejection=None, unavailable=[PLATE], now=at(1))
    assert order.state == "cancelled"
    assert order.cancellation_reason == "insufficient_stock"
    assert not order.reservations


def test_one_line_without_stock_releases_the_lines_already_reserved() -> None:
    order = placed()
    order.record_customer_validation(valid=True, segments=[], rejection=None, now=at(1))
    oil_reservation, plate_reservation = list(order.reservations)
    order.record_reservation_confirmed(oil_reservation, catalogue=CATALOGUE, now=at(2))
    order.collect()
    order.record_reservation_rejected(
        plate_reservation, reason="insufficient_stock", detail="0 left", now=at(2.1)
    )
    emitted = order.collect()
    release = [e for e in emitted if isinstance(e, ev.ReservationsReleaseRequested)]
    assert release[0].reservation_ids == (oil_reservation,)
    assert order.state == "compensating"
    order.record_reservation_released(oil_reservation, now=at(3))
    assert order.state == "cancelled"
    assert order.cancellation_reason == "insufficient_stock"
    assert order.steps["reserve-stock"].status == "compensated"


def test_a_changed_price_is_not_charged_silently() -> None:
    order = placed(oil_price="9.50")
    order.record_customer_validation(valid=True, segments=[], rejection=None, now=at(1))
    reserve_all(order)
    assert order.cancellation_reason == "price_changed"
    assert order.steps["calculate-pricing"].status == "failed"
    assert order.state == "compensating"  # releasing the reservations


def test_islands_are_not_served() -> None:
    order = placed(address={**BAEZA, "postalCode": "07001", "city": "Palma"})
    order.record_customer_validation(valid=True, segments=[], rejection=None, now=at(1))
    reserve_all(order)
    assert order.cancellation_reason == "address_not_deliverable"


def test_a_declined_payment_releases_stock_and_refunds_nothing() -> None:
    order = placed()
    order.record_customer_validation(valid=True, segments=[], rejection=None, now=at(1))
    reserve_all(order)
    order.record_payment_method_validation(valid=True, method_type="card", rejection=None, now=at(2))
    order.collect()
    order.record_payment_failed(reason="declined", now=at(3))
    emitted = kinds(order)
    assert "RefundRequested" not in emitted
    assert "ReservationsReleaseRequested" in emitted
    assert order.cancellation_reason == "payment_declined"


def test_a_payment_timeout_refunds_first_then_releases_then_cancels() -> None:
    order = placed()
    order.record_customer_validation(valid=True, segments=[], rejection=None, now=at(1))
    reserve_all(order)
    order.record_payment_method_validation(valid=True, method_type="card", rejection=None, now=at(2))
    order.collect()
    order.expire("process-payment", now=at(2 + order.timeouts.payment.total_seconds()))
    assert kinds(order) == ["StepDeadlinePassed", "CompensationStarted", "StateChanged", "RefundRequested"]
    order.record_refund(
        refund_id=derived_id(order.order_id, "refund"), amount=Decimal(0), outcome="voided", now=at(40)
    )
    assert [type(e).__name__ for e in order.collect()] == ["PaymentRefunded", "ReservationsReleaseRequested"]
    for reservation_id in list(order.reservations):
        order.record_reservation_released(reservation_id, now=at(41))
    assert order.state == "cancelled"
    assert order.cancellation_reason == "payment_timeout"
    assert order.steps["process-payment"].status == "compensated"
    assert order.steps["reserve-stock"].status == "compensated"


def test_a_payment_captured_after_its_timeout_is_covered_by_the_refund() -> None:
    order = placed()
    order.record_customer_validation(valid=True, segments=[], rejection=None, now=at(1))
    reserve_all(order)
    order.record_payment_method_validation(valid=True, method_type="card", rejection=None, now=at(2))
    order.expire("process-payment", now=at(100))
    order.collect()
    order.record_payment_succeeded(reference="late", now=at(101))
    assert kinds(order) == ["PaymentSucceeded"]  # no confirmation: the refund already asked covers it
    assert order.saga_status == "compensating"


def test_a_reservation_that_expires_before_the_commit_undoes_the_payment() -> None:
    order = placed()
    through_payment(order)
    first = next(iter(order.reservations))
    order.collect()
    order.record_reservation_rejected(
        first, reason="reservation_expired", detail="held too long", now=at(200)
    )
    assert kinds(order)[:3] == ["ReservationRejected", "CompensationStarted", "StateChanged"]
    assert order.cancellation_reason == "reservation_expired"
    assert order.refund_status == "requested"


def test_a_late_reservation_after_compensation_is_released() -> None:
    order = placed()
    order.record_customer_validation(valid=True, segments=[], rejection=None, now=at(1))
    oil_reservation, plate_reservation = list(order.reservations)
    order.record_reservation_rejected(oil_reservation, reason="insufficient_stock", detail="", now=at(2))
    order.collect()
    order.record_reservation_confirmed(plate_reservation, catalogue=CATALOGUE, now=at(3))
    assert kinds(order) == []  # already releasing: the release request asked covers it
    order.record_reservation_released(plate_reservation, now=at(4))
    assert order.state == "cancelled"


def test_duplicate_answers_change_nothing() -> None:
    order = placed()
    order.record_customer_validation(valid=True, segments=[], rejection=None, now=at(1))
    order.collect()
    order.record_customer_validation(valid=True, segments=[], rejection=None, now=at(1.1))
    assert kinds(order) == []
    reservation_id = next(iter(order.reservations))
    order.record_reservation_confirmed(reservation_id, catalogue=CATALOGUE, now=at(2))
    order.collect()
    order.record_reservation_confirmed(reservation_id, catalogue=CATALOGUE, now=at(2.1))
    assert kinds(order) == []


def test_post_pivot_steps_are_retried_not_compensated() -> None:
    order = confirmed(placed())
    order.collect()
    order.expire("notify-participants", now=at(60))
    assert kinds(order) == ["StepSkipped", "StepStarted"]
    order.expire("schedule-delivery", now=at(200))
    assert kinds(order) == ["StepDeadlinePassed"]
    assert order.steps["schedule-delivery"].attempts == 2
    assert order.state == "confirmed"


def test_an_unexpired_deadline_does_nothing() -> None:
    order = placed()
    order.expire("validate-customer", now=at(1))
    assert kinds(order) == []


def test_the_customer_can_cancel_until_confirmation_but_not_after() -> None:
    order = placed()
    order.cancel(reason="wrong address", requested_by="customer", now=at(1))
    assert order.state == "cancelled"
    assert order.cancellation_reason == "customer_request"
    with pytest.raises(OrderStateConflict):
        confirmed(placed()).cancel(reason="too late", requested_by="customer", now=at(9))


def test_items_of_a_confirmed_order_can_only_go_down() -> None:
    order = confirmed(placed())
    order.collect()
    order.modify_items(quantities={OIL: 1}, requested_by="customer", now=at(10))
    (modified,) = order.collect()
    assert isinstance(modified, ev.ItemsModified)
    assert modified.quantities == {OIL: 1}
    assert modified.new_total == Decimal("46.05")  # 9.80 + 32.30 items + 3.95 delivery in Jaén (< 60 €)
    assert order.total == Decimal("46.05")
    with pytest.raises(OrderStateConflict, match="only be lowered"):
        order.modify_items(quantities={OIL: 5}, requested_by="customer", now=at(11))
    with pytest.raises(OrderStateConflict, match="at least one line"):
        order.modify_items(quantities={OIL: 0, PLATE: 0}, requested_by="customer", now=at(12))
    with pytest.raises(OrderStateConflict, match="cannot change"):
        placed().modify_items(quantities={OIL: 1}, requested_by="customer", now=at(1))


def test_the_order_rebuilds_from_its_events() -> None:
    order = placed()
    history: list[ev.Event] = []
    fresh = Order.place(
        order_id=order.order_id,
        customer_id=uuid4(),
        lines=[(OIL, 3, Decimal("9.80")), (PLATE, 1, Decimal("34.00"))],
        delivery_address=BAEZA,
        payment_method_id=uuid4(),
        device="mobile",
        session_id="s",
        correlation_id=uuid4(),
        catalogue=CATALOGUE,
        now=T0,
    )
    confirmed(fresh)
    history = fresh.collect()
    rebuilt = Order(order_id=fresh.order_id)
    for event in history:
        rebuilt.apply(event)
    assert rebuilt.state == fresh.state == "confirmed"
    assert step_statuses(rebuilt) == step_statuses(fresh)
    assert rebuilt.total == fresh.total
    assert isinstance(rebuilt.payment_id, UUID)
