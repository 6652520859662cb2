"""From the order's events to the messages other services receive.

The aggregate decides; this module says what each decision tells the world, as the contract's messages,
prepared (validated and enveloped) by the generated publishers. The prepared messages are stored in the
same commit as the events and published by the relay, so a message goes out if and only if its event was
stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from a4co_sdk._runtime.context import MessageContext
from a4co_sdk._runtime.publishing import OutgoingMessage, Publisher
from a4co_sdk.models import common, delivery, inventory, order, payment, user
from a4co_sdk.publishers.order import OrderPublishers
from services.order.domain import events as ev
from services.order.domain.order import Order, derived_id

__all__ = ["outgoing_messages"]

EUR = "EUR"


def _money(amount: Decimal) -> common.Money:
    return common.Money(amount=amount, currency=EUR)


def _item(line: ev.Line) -> order.OrderItem:
    return order.OrderItem(
        product_id=line.product_id,
        artisan_id=line.artisan_id,
        product_name=line.product_name,
        category=line.category,
        quantity=line.quantity,
        unit_price=_money(line.unit_price),
    )


def _line(order_: Order, product_id: UUID) -> ev.Line:
    return next(line for line in order_.lines if line.product_id == product_id)


class _Emitter:
    def __init__(self, order_: Order, publishers: OrderPublishers, context: MessageContext) -> None:
        self.order = order_
        self.p = publishers
        self.context = context
        self.out: list[OutgoingMessage] = []

    def send(self, publisher: Publisher[Any], payload: Any, at: datetime) -> None:
        self.out.append(publisher.prepare(payload, context=self.context, occurred_at=at))

    # -- one method per event that tells the world something ------------------------------------------------

    def placed(self, e: ev.OrderPlaced) -> None:
        self.send(
            self.p.order_created,
            order.OrderCreated(
                order_id=e.order_id,
                customer_id=e.customer_id,
                items=[_item(line) for line in e.lines],
                total_amount=_money(
                    sum((line.unit_price * line.quantity for line in e.lines), Decimal("0.00"))
                ),
                delivery_address=common.Address.model_validate(e.delivery_address),
                estimated_delivery=common.DateRange(
                    start=e.at + timedelta(days=2), end=e.at + timedelta(days=5)
                ),
                created_at=e.at,
            ),
            e.at,
        )

    def step_started(self, e: ev.StepStarted) -> None:
        request = {
            "validate-customer": self.validate_customer,
            "validate-payment": self.validate_payment,
            "schedule-delivery": self.schedule_delivery,
        }.get(e.step)
        if request is not None:
            request(e.at)

    def deadline_passed(self, e: ev.StepDeadlinePassed) -> None:
        """A request that got no answer is sent again, with the same ids (receivers are idempotent)."""
        if e.next_deadline is None:
            return
        step = self.order.steps[e.step]
        if e.step == "schedule-delivery":
            self.schedule_delivery(e.at)
        elif e.step == "process-payment" and step.status == "compensating":
            self.refund(e.at)
        elif e.step == "reserve-stock" and step.status == "compensating":
            self.release(
                tuple(r.reservation_id for r in self.order.reservations.values() if r.status == "releasing"),
                e.at,
            )

    def validate_customer(self, at: datetime) -> None:
        assert self.order.customer_id is not None
        self.send(
            self.p.customer_validation_requested,
            user.CustomerValidationRequested(
                validation_id=derived_id(self.order.order_id, "customer-validation"),
                customer_id=self.order.customer_id,
                order_id=self.order.order_id,
                requested_at=at,
            ),
            at,
        )

    def reservations(self, e: ev.ReservationsRequested) -> None:
        assert self.order.customer_id is not None
        priority = "vip" if "vip" in self.order.segments else "normal"
        for reservation_id, product_id in e.reservations:
            line = _line(self.order, product_id)
            self.send(
                self.p.stock_reservation_requested,
                inventory.StockReservationRequested(
                    reservation_id=reservation_id,
                    order_id=self.order.order_id,
                    items=[
                        inventory.ReservationItem(
                            product_id=product_id, quantity=line.quantity, unit_price=_money(line.unit_price)
                        )
                    ],
                    customer_id=self.order.customer_id,
                    expiration_time=e.expires_at,
                    priority=inventory.ReservationPriority(priority),
                ),
                e.at,
            )

    def validate_payment(self, at: datetime) -> None:
        assert self.order.customer_id is not None
        assert self.order.payment_method_id is not None
        self.send(
            self.p.payment_method_validation_requested,
            payment.PaymentMethodValidationRequested(
                validation_id=derived_id(self.order.order_id, "payment-method-validation"),
                order_id=self.order.order_id,
                customer_id=self.order.customer_id,
                payment_method_id=self.order.payment_method_id,
                amount=_money(self.order.total),
                requested_at=at,
            ),
            at,
        )

    def payment(self, e: ev.PaymentRequested) -> None:
        assert self.order.customer_id is not None
        assert self.order.payment_method_id is not None
        self.send(
            self.p.payment_requested,
            payment.PaymentRequested(
                payment_id=e.payment_id,
                order_id=self.order.order_id,
                customer_id=self.order.customer_id,
                payment_method_id=self.order.payment_method_id,
                amount=_money(self.order.total),
                lines=[
                    payment.PaymentLine(artisan_id=UUID(artisan), amount=_money(amount))
                    for artisan, amount in self.order.per_artisan
                ],
                delivery_cost=_money(self.order.delivery_cost),
                requested_at=e.at,
            ),
            e.at,
        )

    def commit(self, e: ev.ReservationsCommitRequested) -> None:
        for reservation_id in e.reservation_ids:
            self.send(
                self.p.stock_reservation_commit_requested,
                inventory.StockReservationCommitRequested(
                    reservation_id=reservation_id, order_id=self.order.order_id, requested_at=e.at
                ),
                e.at,
            )

    def schedule_delivery(self, at: datetime) -> None:
        assert self.order.customer_id is not None
        parcels: dict[UUID, list[inventory.ProductQuantity]] = {}
        for line in self.order.lines:
            assert line.artisan_id is not None  # inventory refused products the catalogue does not know
            parcels.setdefault(line.artisan_id, []).append(
                inventory.ProductQuantity(product_id=line.product_id, quantity=line.quantity)
            )
        self.send(
            self.p.delivery_scheduling_requested,
            delivery.DeliverySchedulingRequested(
                delivery_id=derived_id(self.order.order_id, "delivery"),
                order_id=self.order.order_id,
                customer_id=self.order.customer_id,
                delivery_address=common.Address.model_validate(self.order.delivery_address),
                parcels=[
                    delivery.Parcel(artisan_id=artisan, items=items) for artisan, items in parcels.items()
                ],
                requested_at=at,
            ),
            at,
        )

    def refund_requested(self, e: ev.RefundRequested) -> None:
        self.refund(e.at)

    def refund(self, at: datetime) -> None:
        assert self.order.payment_id is not None
        self.send(
            self.p.payment_refund_requested,
            payment.PaymentRefundRequested(
                refund_id=derived_id(self.order.order_id, "refund"),
                payment_id=self.order.payment_id,
                order_id=self.order.order_id,
                reason=f"order cancelled: {self.order.cancellation_reason}",
                requested_at=at,
            ),
            at,
        )

    def release_requested(self, e: ev.ReservationsReleaseRequested) -> None:
        self.release(e.reservation_ids, e.at)

    def release(self, reservation_ids: Iterable[UUID], at: datetime) -> None:
        for reservation_id in reservation_ids:
            self.send(
                self.p.stock_reservation_release_requested,
                inventory.StockReservationReleaseRequested(
                    reservation_id=reservation_id,
                    order_id=self.order.order_id,
                    reason=f"order cancelled: {self.order.cancellation_reason}",
                    requested_at=at,
                ),
                at,
            )

    def state_changed(self, e: ev.StateChanged) -> None:
        reason = self.order.cancellation_reason if e.current in ("compensating", "cancelled") else None
        self.send(
            self.p.order_state_changed,
            order.OrderStateChanged(
                order_id=self.order.order_id,
                previous_state=order.OrderState(e.previous),
                current_state=order.OrderState(e.current),
                reason=e.reason[:500],
                cancellation_reason=order.CancellationReason(reason) if reason else None,
                changed_by=e.changed_by,
                changed_at=e.at,
            ),
            e.at,
        )

    def items_modified(self, e: ev.ItemsModified) -> None:
        gone = {line.product_id for line in e.lines if line.quantity == 0}
        removed = [_item(line) for line in e.previous if line.product_id in gone]
        modified = [_item(line) for line in e.lines if line.quantity > 0]
        self.send(
            self.p.order_items_modified,
            order.OrderItemsModified(
                order_id=self.order.order_id,
                added_items=[],
                removed_items=removed,
                modified_items=modified,
                new_total_amount=_money(e.new_total),
                modified_by=e.modified_by,
                modified_at=e.at,
            ),
            e.at,
        )


_ROUTES: dict[type[ev.Event], Callable[[_Emitter, Any], None]] = {
    ev.OrderPlaced: _Emitter.placed,
    ev.StepStarted: _Emitter.step_started,
    ev.StepDeadlinePassed: _Emitter.deadline_passed,
    ev.ReservationsRequested: _Emitter.reservations,
    ev.PaymentRequested: _Emitter.payment,
    ev.ReservationsCommitRequested: _Emitter.commit,
    ev.RefundRequested: _Emitter.refund_requested,
    ev.ReservationsReleaseRequested: _Emitter.release_requested,
    ev.StateChanged: _Emitter.state_changed,
    ev.ItemsModified: _Emitter.items_modified,
}


def outgoing_messages(
    order_: Order, new_events: Iterable[ev.Event], publishers: OrderPublishers, context: MessageContext
) -> list[OutgoingMessage]:
    """The messages the new events send, in order, prepared for the relay (`order_` after the events)."""
    emitter = _Emitter(order_, publishers, context)
    for event in new_events:
        route = _ROUTES.get(type(event))
        if route is not None:
            route(emitter, event)
    return emitter.out
