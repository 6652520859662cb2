"""The Order aggregate, with its fulfilment saga (the design document's OrderFulfillmentSagaV2).

The saga lives inside the aggregate: every step it starts, every answer it records and every
compensation it requests is an event of the order, stored in one append together with the messages it
sends. So the saga's state is persisted at every step, survives any crash, and resumes from the stream.

Steps, in order: validate-customer, reserve-stock (every line at once), calculate-pricing,
validate-payment, process-payment, confirm-order, notify-participants, schedule-delivery.
`confirm-order` is the pivot: until it completes, a failure or an expired deadline compensates what was
done, in reverse order (refund the payment, release every reservation, cancel the order). After it, the
order is confirmed and paid for: the remaining steps are retried when their deadline passes, never undone.

Methods are commands, named in the imperative; they emit events and never do I/O. Answers that arrive
late or twice (a reservation confirmed after compensation began, a duplicated delivery) are handled: a
late reservation is released, a duplicate changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from services.order.domain import events as ev
from services.order.domain.pricing import PricedLine, PricingRejected, price_order

__all__ = [
    "PIVOT",
    "STEPS",
    "CatalogueEntry",
    "Order",
    "OrderStateConflict",
    "SagaTimeouts",
    "Step",
]

STEPS = (
    "validate-customer",
    "reserve-stock",
    "calculate-pricing",
    "validate-payment",
    "process-payment",
    "confirm-order",
    "notify-participants",
    "schedule-delivery",
)
PIVOT = "confirm-order"
CANCELLABLE = frozenset({"pending", "stock_reserved", "payment_processing", "paid"})
MODIFIABLE = frozenset({"confirmed", "delivery_scheduled"})


class OrderStateConflict(Exception):  # noqa: N818 - a domain outcome the API answers with 409
    def __init__(self, order_id: UUID, state: str, detail: str) -> None:
        super().__init__(detail)
        self.order_id = order_id
        self.state = state
        self.detail = detail


@dataclass(frozen=True, slots=True)
class SagaTimeouts:
    """How long each step may take. The reservation hold covers the steps up to the pivot.

    A deadline is for an answer that will never come (a participant that is gone), not for a slow one:
    it must outlast a crash of this service. The answers of the inventory come through the design
    document's `order-service-inventory` consumer, whose `ack_wait` is 30 s: the answers a killed
    orchestrator had fetched come back only then. With 10 s steps, every order in flight at a crash was
    cancelled (measured by the crash test); 60 s leaves the restart and the redelivery room.
    """

    step: timedelta = timedelta(seconds=60)
    reservation_hold: timedelta = timedelta(minutes=3)
    payment: timedelta = timedelta(seconds=60)
    notify: timedelta = timedelta(seconds=10)
    delivery: timedelta = timedelta(seconds=30)
    compensation: timedelta = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    artisan_id: UUID
    name: str
    category: str
    price: Decimal


@dataclass(slots=True)
class Step:
    name: str
    status: str = "pending"
    started_at: datetime | None = None
    finished_at: datetime | None = None
    deadline: datetime | None = None
    attempts: int = 0
    detail: str = ""


@dataclass(slots=True)
class Reservation:
    reservation_id: UUID
    product_id: UUID
    status: str = "requested"  # requested | confirmed | rejected | committed | releasing | released


def derived_id(order_id: UUID, purpose: str) -> UUID:
    """Ids of the requests an order sends, derived so that a re-sent request carries the same id."""
    return uuid.uuid5(order_id, purpose)


@dataclass
class Order:
    order_id: UUID
    version: int = 0
    customer_id: UUID | None = None
    lines: tuple[ev.Line, ...] = ()
    delivery_address: dict[str, Any] = field(default_factory=dict)
    payment_method_id: UUID | None = None
    correlation_id: UUID | None = None
    state: str = "pending"
    saga_status: str = "running"
    cancellation_reason: str | None = None
    segments: tuple[str, ...] = ()
    subtotal: Decimal = Decimal("0.00")
    discount: Decimal = Decimal("0.00")
    delivery_cost: Decimal = Decimal("0.00")
    total: Decimal = Decimal("0.00")
    per_artisan: tuple[tuple[str, Decimal], ...] = ()
    reservations: dict[UUID, Reservation] = field(default_factory=dict)
    reservation_expires_at: datetime | None = None
    payment_id: UUID | None = None
    payment_method_type: str | None = None
    payment_status: str = "none"  # none | requested | captured | failed | refunded
    refund_status: str = "none"  # none | requested | done
    delivery: ev.DeliveryScheduled | None = None
    placed_at: datetime | None = None
    updated_at: datetime | None = None
    steps: dict[str, Step] = field(default_factory=lambda: {name: Step(name) for name in STEPS})
    history: list[tuple[datetime, str, str]] = field(default_factory=list)
    pending: list[ev.Event] = field(default_factory=list)
    timeouts: SagaTimeouts = field(default_factory=SagaTimeouts)

    # -- commands ------------------------------------------------------------------------------------

    @classmethod
    def place(
        cls,
        *,
        order_id: UUID,
        customer_id: UUID,
        lines: Iterable[tuple[UUID, int, Decimal]],
        delivery_address: Mapping[str, Any],
        payment_method_id: UUID,
        device: str,
        session_id: str,
        correlation_id: UUID,
        catalogue: Mapping[UUID, CatalogueEntry],
        now: datetime,
        timeouts: SagaTimeouts | None = None,
    ) -> Order:
        """Accept an order and start its saga by asking whether the customer may order."""
        order = cls(order_id=order_id, timeouts=timeouts or SagaTimeouts())
        enriched = []
        for product_id, quantity, unit_price in lines:
            entry = catalogue.get(product_id)
            enriched.append(
                ev.Line(
                    product_id=product_id,
                    quantity=quantity,
                    unit_price=unit_price,
                    artisan_id=entry.artisan_id if entry else None,
                    product_name=entry.name if entry else None,
                    category=entry.category if entry else None,
                )
            )
        order.trigger(
            ev.OrderPlaced(
                at=now,
                order_id=order_id,
                customer_id=customer_id,
                lines=tuple(enriched),
                delivery_address=dict(delivery_address),
                payment_method_id=payment_method_id,
                device=device,
                session_id=session_id,
                correlation_id=correlation_id,
            )
        )
        order.trigger(ev.StepStarted(at=now, step="validate-customer", deadline=now + order.timeouts.step))
        return order

    def record_customer_validation(
        self,
        *,
        valid: bool,
        segments: Iterable[str],
        rejection: str | None,
        unavailable: Iterable[UUID] = (),
        now: datetime,
    ) -> None:
        """The user service answered; `unavailable` is what the synchronous availability check found."""
        if not self._running("validate-customer"):
            return
        self.trigger(ev.CustomerChecked(at=now, valid=valid, segments=tuple(segments), rejection=rejection))
        if not valid:
            self._compensate("customer_blocked", f"customer rejected: {rejection}", "validate-customer", now)
            return
        short = tuple(unavailable)
        if short:
            self.trigger(
                ev.StepStarted(at=now, step="reserve-stock", deadline=None, detail="availability check")
            )
            self.trigger(ev.AvailabilityShortfall(at=now, product_ids=short))
            self._compensate(
                "insufficient_stock", "not enough stock: " + ", ".join(map(str, short)), "reserve-stock", now
            )
            return
        self.trigger(ev.StepStarted(at=now, step="reserve-stock", deadline=now + self.timeouts.step))
        self.trigger(
            ev.ReservationsRequested(
                at=now,
                reservations=tuple(
                    (derived_id(self.order_id, f"reservation:{line.product_id}"), line.product_id)
                    for line in self.lines
                ),
                expires_at=now + self.timeouts.reservation_hold,
            )
        )

    def record_reservation_confirmed(
        self, reservation_id: UUID, *, catalogue: Mapping[UUID, CatalogueEntry], now: datetime
    ) -> None:
        reservation = self.reservations.get(reservation_id)
        if reservation is None or reservation.status != "requested":
            return
        if self.saga_status != "running" or not self._running("reserve-stock"):
            # Too late: the saga gave up on this order; free what inventory has just held.
            self.trigger(ev.ReservationConfirmed(at=now, reservation_id=reservation_id))
            self.trigger(ev.ReservationsReleaseRequested(at=now, reservation_ids=(reservation_id,)))
            return
        self.trigger(ev.ReservationConfirmed(at=now, reservation_id=reservation_id))
        if all(r.status == "confirmed" for r in self.reservations.values()):
            self._change_state("stock_reserved", "every line is reserved", now)
            self._price(catalogue, now)

    def record_reservation_rejected(
        self, reservation_id: UUID, *, reason: str, detail: str, now: datetime
    ) -> None:
        reservation = self.reservations.get(reservation_id)
        if reservation is None or reservation.status in ("rejected", "released", "committed"):
            return
        if self.saga_status != "running":
            # Compensation already asked for its release: an expiry or failure is as good as a release.
            self.trigger(
                ev.ReservationRejected(at=now, reservation_id=reservation_id, reason=reason, detail=detail)
            )
            self._next_compensation(now)
            return
        self.trigger(
            ev.ReservationRejected(at=now, reservation_id=reservation_id, reason=reason, detail=detail)
        )
        failed_step = next((s for s in STEPS[:6] if self._running(s)), "reserve-stock")
        cancellation = "reservation_expired" if reason == "reservation_expired" else "insufficient_stock"
        self._compensate(cancellation, detail or reason, failed_step, now)

    def record_payment_method_validation(
        self, *, valid: bool, method_type: str | None, rejection: str | None, now: datetime
    ) -> None:
        if not self._running("validate-payment"):
            return
        self.trigger(
            ev.PaymentMethodChecked(at=now, valid=valid, method_type=method_type, rejection=rejection)
        )
        if not valid:
            self._compensate(
                "payment_method_invalid", f"payment method rejected: {rejection}", "validate-payment", now
            )
            return
        self.trigger(ev.StepStarted(at=now, step="process-payment", deadline=now + self.timeouts.payment))
        self.trigger(ev.PaymentRequested(at=now, payment_id=derived_id(self.order_id, "payment")))
        self._change_state("payment_processing", "payment requested", now)

    def record_payment_succeeded(self, *, reference: str, now: datetime) -> None:
        if self.payment_status != "requested":
            return
        self.trigger(ev.PaymentSucceeded(at=now, reference=reference))
        if self.saga_status != "running":
            return  # compensation already asked for a refund, which covers a late capture
        self._change_state("paid", "payment captured", now)
        self.trigger(ev.StepStarted(at=now, step="confirm-order", deadline=now + self.timeouts.step))
        self.trigger(ev.ReservationsCommitRequested(at=now, reservation_ids=tuple(self.reservations)))

    def record_payment_failed(self, *, reason: str, now: datetime) -> None:
        if self.payment_status != "requested":
            return
        self.trigger(ev.PaymentFailed(at=now, reason=reason))
        if self.saga_status == "running":
            self._compensate("payment_declined", f"payment failed: {reason}", "process-payment", now)

    def record_reservation_committed(self, reservation_id: UUID, *, now: datetime) -> None:
        reservation = self.reservations.get(reservation_id)
        if reservation is None or reservation.status != "confirmed":
            return
        self.trigger(ev.ReservationCommitted(at=now, reservation_id=reservation_id))
        if self._running("confirm-order") and all(
            r.status == "committed" for r in self.reservations.values()
        ):
            self.trigger(ev.OrderConfirmed(at=now))
            self._change_state("confirmed", "paid and every line committed", now)
            self.trigger(
                ev.StepStarted(at=now, step="notify-participants", deadline=now + self.timeouts.notify)
            )

    def record_notification_scheduled(self, notification_id: UUID, *, now: datetime) -> None:
        if not self._running("notify-participants"):
            return
        self.trigger(ev.NotificationsConfirmed(at=now, notification_id=notification_id))
        self._start_delivery(now)

    def record_delivery_scheduled(
        self,
        *,
        delivery_id: UUID,
        carrier: str,
        tracking_code: str,
        window: tuple[datetime, datetime],
        now: datetime,
    ) -> None:
        if not self._running("schedule-delivery"):
            return
        self.trigger(
            ev.DeliveryScheduled(
                at=now,
                delivery_id=delivery_id,
                carrier=carrier,
                tracking_code=tracking_code,
                window_start=window[0],
                window_end=window[1],
            )
        )
        self._change_state("delivery_scheduled", f"{carrier} {tracking_code}", now)

    def record_refund(self, *, refund_id: UUID, amount: Decimal, outcome: str, now: datetime) -> None:
        if self.refund_status != "requested" or refund_id != derived_id(self.order_id, "refund"):
            return
        self.trigger(ev.PaymentRefunded(at=now, refund_id=refund_id, amount=amount, outcome=outcome))
        self._next_compensation(now)

    def record_reservation_released(self, reservation_id: UUID, *, now: datetime) -> None:
        reservation = self.reservations.get(reservation_id)
        if reservation is None or reservation.status not in ("releasing", "requested", "confirmed"):
            return
        self.trigger(ev.ReservationReleased(at=now, reservation_id=reservation_id))
        self._next_compensation(now)

    def cancel(self, *, reason: str, requested_by: str, now: datetime) -> None:
        """The customer cancels: allowed until the order is confirmed."""
        if self.saga_status != "running" or self.state not in CANCELLABLE:
            raise OrderStateConflict(
                self.order_id,
                self.state,
                f"an order that is {self.state} cannot be cancelled; modify its items instead",
            )
        failed_step = next((s for s in STEPS if self._running(s)), None)
        self._compensate("customer_request", f"cancelled by {requested_by}: {reason}", failed_step, now)

    def modify_items(self, *, quantities: Mapping[UUID, int], requested_by: str, now: datetime) -> None:
        """Lower or remove lines of a confirmed order that has not shipped; the difference is refunded."""
        if self.state not in MODIFIABLE:
            raise OrderStateConflict(
                self.order_id, self.state, f"the items of an order that is {self.state} cannot change"
            )
        current = {line.product_id: line for line in self.lines}
        for product_id, quantity in quantities.items():
            line = current.get(product_id)
            if line is None:
                raise OrderStateConflict(
                    self.order_id, self.state, f"product {product_id} is not in this order"
                )
            if quantity > line.quantity:
                raise OrderStateConflict(
                    self.order_id,
                    self.state,
                    "items can only be lowered or removed; place a new order to add more",
                )
        changed = {p: q for p, q in quantities.items() if q != current[p].quantity}
        if not changed:
            return
        remaining = [
            replace(line, quantity=changed.get(line.product_id, line.quantity)) for line in self.lines
        ]
        kept = [line for line in remaining if line.quantity > 0]
        if not kept:
            # An order with no line left is not a modification; a confirmed order is not cancelled here.
            raise OrderStateConflict(self.order_id, self.state, "at least one line must remain")
        new_total = price_order(
            [_priced(line, None) for line in kept],
            segments=frozenset(self.segments),
            postal_code=str(self.delivery_address.get("postalCode", "")),
        ).total
        self.trigger(
            ev.ItemsModified(
                at=now,
                lines=tuple(replace(current[p], quantity=q) for p, q in sorted(changed.items())),
                previous=tuple(current[p] for p in sorted(changed)),
                modified_by=requested_by,
                new_total=new_total,
                refund_id=derived_id(self.order_id, f"modification:{self.version + 1}"),
            )
        )

    def expire(self, step: str, *, now: datetime) -> None:
        """A step's deadline passed: fail it before the pivot, send its request again after."""
        current = self.steps.get(step)
        if current is None or current.status not in ("running", "compensating") or current.deadline is None:
            return
        if current.deadline > now:
            return
        if self.saga_status == "compensating":
            self.trigger(
                ev.StepDeadlinePassed(
                    at=now,
                    step=step,
                    attempt=current.attempts + 1,
                    next_deadline=now + self.timeouts.compensation,
                )
            )
            return
        if step == "notify-participants":
            self.trigger(
                ev.StepSkipped(
                    at=now, step=step, detail="no notification confirmed in time; delivery goes on"
                )
            )
            self._start_delivery(now)
            return
        if step == "schedule-delivery":
            self.trigger(
                ev.StepDeadlinePassed(
                    at=now,
                    step=step,
                    attempt=current.attempts + 1,
                    next_deadline=now + self.timeouts.delivery,
                )
            )
            return
        reason = {"process-payment": "payment_timeout", "confirm-order": "reservation_expired"}.get(
            step, "saga_timeout"
        )
        self.trigger(ev.StepDeadlinePassed(at=now, step=step, attempt=current.attempts, next_deadline=None))
        self._compensate(reason, f"{step} got no answer in time", step, now)

    # -- helpers --------------------------------------------------------------------------------------

    def _running(self, step: str) -> bool:
        return self.steps[step].status == "running"

    def _change_state(self, current: str, reason: str, now: datetime, changed_by: str = "order") -> None:
        if current != self.state:
            self.trigger(
                ev.StateChanged(
                    at=now, previous=self.state, current=current, reason=reason, changed_by=changed_by
                )
            )

    def _price(self, catalogue: Mapping[UUID, CatalogueEntry], now: datetime) -> None:
        self.trigger(ev.StepStarted(at=now, step="calculate-pricing", deadline=None))
        try:
            pricing = price_order(
                [_priced(line, catalogue.get(line.product_id)) for line in self.lines],
                segments=frozenset(self.segments),
                postal_code=str(self.delivery_address.get("postalCode", "")),
            )
        except PricingRejected as rejected:
            self._compensate(rejected.reason, rejected.detail, "calculate-pricing", now)
            return
        enriched = tuple(_enriched(line, catalogue.get(line.product_id)) for line in self.lines)
        self.trigger(
            ev.OrderPriced(
                at=now,
                lines=enriched,
                subtotal=pricing.subtotal,
                discount=pricing.discount,
                delivery_cost=pricing.delivery_cost,
                total=pricing.total,
                per_artisan=tuple(pricing.per_artisan.items()),
            )
        )
        self.trigger(ev.StepStarted(at=now, step="validate-payment", deadline=now + self.timeouts.step))

    def _start_delivery(self, now: datetime) -> None:
        self.trigger(ev.StepStarted(at=now, step="schedule-delivery", deadline=now + self.timeouts.delivery))

    def _compensate(self, reason: str, detail: str, failed_step: str | None, now: datetime) -> None:
        self.trigger(ev.CompensationStarted(at=now, reason=reason, detail=detail, failed_step=failed_step))
        self._change_state("compensating", detail, now)
        self._next_compensation(now)

    def _next_compensation(self, now: datetime) -> None:
        """Undo the next completed (or possibly completed) step, latest first; then cancel the order."""
        if self.saga_status != "compensating":
            return
        if self.payment_status in ("requested", "captured") and self.refund_status == "none":
            self.trigger(ev.RefundRequested(at=now, refund_id=derived_id(self.order_id, "refund")))
            return
        if self.refund_status == "requested":
            return
        holding = tuple(
            r.reservation_id
            for r in self.reservations.values()
            if r.status in ("requested", "confirmed", "committed")
        )
        if holding:
            self.trigger(ev.ReservationsReleaseRequested(at=now, reservation_ids=holding))
            return
        if any(r.status == "releasing" for r in self.reservations.values()):
            return
        self.trigger(ev.CompensationCompleted(at=now))
        self._change_state("cancelled", f"cancelled: {self.cancellation_reason}", now)

    def trigger(self, event: ev.Event) -> None:
        self.apply(event)
        self.pending.append(event)

    # -- state from events ------------------------------------------------------------------------------

    def apply(self, event: ev.Event) -> None:
        """Evolve the state by one event (also used to rebuild the order from its stream)."""
        handler = _APPLY.get(type(event))
        if handler is not None:
            handler(self, event)
        self.updated_at = event.at

    def collect(self) -> list[ev.Event]:
        events, self.pending = self.pending, []
        return events


def _enriched(line: ev.Line, entry: CatalogueEntry | None) -> ev.Line:
    if entry is None:
        return line
    return replace(
        line,
        artisan_id=line.artisan_id or entry.artisan_id,
        product_name=line.product_name or entry.name,
        category=line.category or entry.category,
    )


def _priced(line: ev.Line, entry: CatalogueEntry | None) -> PricedLine:
    return PricedLine(
        product_id=str(line.product_id),
        artisan_id=str(line.artisan_id) if line.artisan_id else (str(entry.artisan_id) if entry else None),
        category=line.category or (entry.category if entry else None),
        quantity=line.quantity,
        unit_price=line.unit_price,
        catalogue_price=entry.price if entry else None,
    )


def _placed(order: Order, e: ev.OrderPlaced) -> None:
    order.customer_id = e.customer_id
    order.lines = e.lines
    order.delivery_address = dict(e.delivery_address)
    order.payment_method_id = e.payment_method_id
    order.correlation_id = e.correlation_id
    order.placed_at = e.at
    order.subtotal = sum((line.unit_price * line.quantity for line in e.lines), Decimal("0.00"))
    order.total = order.subtotal
    order.history.append((e.at, "pending", "order placed"))


def _step_started(order: Order, e: ev.StepStarted) -> None:
    step = order.steps[e.step]
    step.status, step.started_at, step.deadline, step.attempts = "running", e.at, e.deadline, 1
    step.detail = e.detail
    if e.step == "calculate-pricing":
        step.deadline = None


def _finish(order: Order, name: str, status: str, at: datetime, detail: str = "") -> None:
    step = order.steps[name]
    step.status, step.finished_at, step.deadline = status, at, None
    if detail:
        step.detail = detail


def _customer(order: Order, e: ev.CustomerChecked) -> None:
    order.segments = e.segments
    _finish(
        order,
        "validate-customer",
        "completed" if e.valid else "failed",
        e.at,
        "segments: " + ", ".join(e.segments) if e.valid else f"rejected: {e.rejection}",
    )


def _shortfall(order: Order, e: ev.AvailabilityShortfall) -> None:
    _finish(
        order, "reserve-stock", "failed", e.at, "not enough stock for " + ", ".join(map(str, e.product_ids))
    )


def _reservations(order: Order, e: ev.ReservationsRequested) -> None:
    order.reservation_expires_at = e.expires_at
    for reservation_id, product_id in e.reservations:
        order.reservations[reservation_id] = Reservation(reservation_id, product_id)


def _reservation(status: str) -> Callable[[Order, Any], None]:
    def apply(order: Order, e: Any) -> None:
        order.reservations[e.reservation_id].status = status
        if status == "confirmed" and all(r.status == "confirmed" for r in order.reservations.values()):
            _finish(order, "reserve-stock", "completed", e.at, f"{len(order.reservations)} reservations held")
        releasing = any(r.status == "releasing" for r in order.reservations.values())
        if status == "released" and order.steps["reserve-stock"].status == "compensating" and not releasing:
            _finish(order, "reserve-stock", "compensated", e.at, "every reservation released")

    return apply


def _rejected(order: Order, e: ev.ReservationRejected) -> None:
    order.reservations[e.reservation_id].status = "rejected"
    for name in ("reserve-stock", "confirm-order"):
        if order.steps[name].status == "running":
            _finish(order, name, "failed", e.at, f"{e.reason}: {e.detail}".rstrip(": "))


def _priced_event(order: Order, e: ev.OrderPriced) -> None:
    order.subtotal, order.discount, order.delivery_cost, order.total = (
        e.subtotal,
        e.discount,
        e.delivery_cost,
        e.total,
    )
    order.per_artisan = e.per_artisan
    if e.lines:
        order.lines = e.lines
    _finish(
        order, "calculate-pricing", "completed", e.at, f"total {e.total} € (delivery {e.delivery_cost} €)"
    )


def _method(order: Order, e: ev.PaymentMethodChecked) -> None:
    order.payment_method_type = e.method_type
    _finish(
        order,
        "validate-payment",
        "completed" if e.valid else "failed",
        e.at,
        e.method_type or f"rejected: {e.rejection}",
    )


def _payment_requested(order: Order, e: ev.PaymentRequested) -> None:
    order.payment_id, order.payment_status = e.payment_id, "requested"


def _payment_succeeded(order: Order, e: ev.PaymentSucceeded) -> None:
    order.payment_status = "captured"
    if order.steps["process-payment"].status == "running":
        _finish(order, "process-payment", "completed", e.at, f"captured ({e.reference})")


def _payment_failed(order: Order, e: ev.PaymentFailed) -> None:
    order.payment_status = "failed"
    if order.steps["process-payment"].status == "running":
        _finish(order, "process-payment", "failed", e.at, e.reason)


def _committed(order: Order, e: ev.ReservationCommitted) -> None:
    order.reservations[e.reservation_id].status = "committed"


def _confirmed(order: Order, e: ev.OrderConfirmed) -> None:
    _finish(order, "confirm-order", "completed", e.at, "stock committed")


def _notified(order: Order, e: ev.NotificationsConfirmed) -> None:
    _finish(order, "notify-participants", "completed", e.at, f"notification {e.notification_id}")


def _delivered(order: Order, e: ev.DeliveryScheduled) -> None:
    order.delivery = e
    order.saga_status = "completed"
    _finish(order, "schedule-delivery", "completed", e.at, f"{e.carrier} {e.tracking_code}")


def _skipped(order: Order, e: ev.StepSkipped) -> None:
    _finish(order, e.step, "skipped", e.at, e.detail)


def _deadline(order: Order, e: ev.StepDeadlinePassed) -> None:
    step = order.steps[e.step]
    step.attempts = e.attempt
    if e.next_deadline is not None:
        step.deadline = e.next_deadline
        step.detail = f"no answer in time; asked again (attempt {e.attempt})"
    else:
        _finish(order, e.step, "failed", e.at, "no answer in time")


def _compensation_started(order: Order, e: ev.CompensationStarted) -> None:
    order.saga_status = "compensating"
    order.cancellation_reason = e.reason
    for step in order.steps.values():
        if step.status == "running":
            step.status, step.finished_at, step.deadline, step.detail = "failed", e.at, None, e.detail


def _refund_requested(order: Order, e: ev.RefundRequested) -> None:
    order.refund_status = "requested"
    step = order.steps["process-payment"]
    step.status, step.deadline, step.attempts = "compensating", e.at + order.timeouts.compensation, 1


def _refunded(order: Order, e: ev.PaymentRefunded) -> None:
    order.refund_status = "done"
    order.payment_status = "refunded" if e.outcome == "refunded" else order.payment_status
    _finish(order, "process-payment", "compensated", e.at, f"{e.outcome}: {e.amount} €")


def _release_requested(order: Order, e: ev.ReservationsReleaseRequested) -> None:
    for reservation_id in e.reservation_ids:
        order.reservations[reservation_id].status = "releasing"
    step = order.steps["reserve-stock"]
    step.status, step.deadline, step.attempts = "compensating", e.at + order.timeouts.compensation, 1


def _compensated(order: Order, e: ev.CompensationCompleted) -> None:
    order.saga_status = "compensated"
    for step in order.steps.values():
        if step.status == "compensating":
            _finish(order, step.name, "compensated", e.at)


def _state(order: Order, e: ev.StateChanged) -> None:
    order.state = e.current
    order.history.append((e.at, e.current, e.reason))


def _items(order: Order, e: ev.ItemsModified) -> None:
    quantities = e.quantities
    order.lines = tuple(
        replace(line, quantity=quantities.get(line.product_id, line.quantity))
        for line in order.lines
        if quantities.get(line.product_id, line.quantity) > 0
    )
    order.total = e.new_total
    order.history.append((e.at, order.state, "items modified by " + e.modified_by))


_APPLY: dict[type[ev.Event], Callable[[Order, Any], None]] = {
    ev.OrderPlaced: _placed,
    ev.StepStarted: _step_started,
    ev.StepSkipped: _skipped,
    ev.StepDeadlinePassed: _deadline,
    ev.CustomerChecked: _customer,
    ev.AvailabilityShortfall: _shortfall,
    ev.ReservationsRequested: _reservations,
    ev.ReservationConfirmed: _reservation("confirmed"),
    ev.ReservationRejected: _rejected,
    ev.OrderPriced: _priced_event,
    ev.PaymentMethodChecked: _method,
    ev.PaymentRequested: _payment_requested,
    ev.PaymentSucceeded: _payment_succeeded,
    ev.PaymentFailed: _payment_failed,
    ev.ReservationsCommitRequested: lambda _order, _event: None,  # the messages are the point
    ev.ReservationCommitted: _committed,
    ev.OrderConfirmed: _confirmed,
    ev.NotificationsConfirmed: _notified,
    ev.DeliveryScheduled: _delivered,
    ev.CompensationStarted: _compensation_started,
    ev.RefundRequested: _refund_requested,
    ev.PaymentRefunded: _refunded,
    ev.ReservationsReleaseRequested: _release_requested,
    ev.ReservationReleased: _reservation("released"),
    ev.CompensationCompleted: _compensated,
    ev.StateChanged: _state,
    ev.ItemsModified: _items,
}
