"""Use cases of the order service: every message the saga waits for, the commands, and deadlines.

Each use case loads the order from the event store, skips a message the order has already processed
(its commits record their causes), lets the aggregate decide, and stores the decision together with the
messages it sends in one append. Two writers racing on one order: the loser reloads and decides again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from a4co_sdk import Received
from a4co_sdk._runtime.context import MessageContext
from a4co_sdk.models import delivery, inventory, notification, order, payment, user
from a4co_sdk.publishers.order import OrderPublishers
from services.order.adapters import catalogue
from services.order.adapters.stored_order import StoredOrder
from services.order.application.outgoing import outgoing_messages
from services.order.domain.events import Line
from services.order.domain.order import Order, OrderStateConflict
from services.platform.database import Database
from services.platform.eventstore import ConcurrencyError, Repository

__all__ = ["AvailabilityCheck", "CatalogueLagError", "OrderUseCases"]

log = logging.getLogger(__name__)

AvailabilityCheck = Callable[[Sequence[Line]], Awaitable[list[UUID]]]
"""Products of these lines without enough available stock (the synchronous check of the matrix)."""

RETRIES = 5


class CatalogueLagError(Exception):
    """Products of an order are not in this service's catalogue yet (a projection lagging its stream)."""

    def __init__(self, products: set[UUID]) -> None:
        super().__init__("not in the catalogue yet: " + ", ".join(sorted(map(str, products))))


@dataclass
class OrderUseCases:
    repository: Repository[StoredOrder]
    publishers: OrderPublishers
    db: Database
    availability: AvailabilityCheck
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    # -- the core loop -----------------------------------------------------------------------------

    async def _execute(
        self, order_id: UUID, decide: Callable[[Order], None], received: Received[Any] | None
    ) -> Order | None:
        message_id = received.envelope.message_id if received else None
        for _ in range(RETRIES):
            stored = await self.repository.find(order_id)
            if stored is None:
                log.warning(
                    "no order %s for %s", order_id, received.delivery.subject if received else "a deadline"
                )
                return None
            if message_id is not None and stored.has_processed(message_id):
                return stored.order
            decide(stored.order)
            if await self._store(stored, received):
                return stored.order
        raise ConcurrencyError(str(order_id), -1, -1)

    async def _store(self, stored: StoredOrder, received: Received[Any] | None) -> bool:
        """Append what was decided with the messages it sends; False when another writer came first."""
        events = stored.record()
        if not events:
            return True
        order_ = stored.order
        assert order_.correlation_id is not None
        context = MessageContext(
            correlation_id=order_.correlation_id,
            causation_id=received.envelope.message_id if received else None,
            traceparent=received.envelope.traceparent if received else None,
        )
        outbox = outgoing_messages(order_, events, self.publishers, context)
        try:
            await self.repository.save(
                stored, causation_id=received.envelope.message_id if received else None, outbox=outbox
            )
        except ConcurrencyError:
            return False
        return True

    # -- commands ----------------------------------------------------------------------------------

    async def create_order(self, command: order.CreateOrder, received: Received[order.CreateOrder]) -> None:
        if command.order_id is None:
            log.error(
                "CreateOrder without orderId from %s: refused", received.envelope.headers.get("producer")
            )
            raise ValueError("CreateOrder needs an orderId (the gateway derives it)")
        if await self.repository.find(command.order_id) is not None:
            return  # the same order placed again (a retried command): it exists, nothing to do
        entries = await catalogue.entries(self.db, [item.product_id for item in command.items])
        placed = Order.place(
            order_id=command.order_id,
            customer_id=command.customer_id,
            lines=[(item.product_id, item.quantity, item.unit_price.amount) for item in command.items],
            delivery_address=command.delivery_address.model_dump(mode="json", exclude_none=True),
            payment_method_id=command.payment_method_id,
            device=command.metadata.device_info.type.value,
            session_id=command.metadata.session_id,
            correlation_id=received.envelope.correlation_id or command.order_id,
            catalogue=entries,
            now=self.clock(),
            timeouts=StoredOrder.timeouts,
        )
        stored = StoredOrder.wrap(placed)
        if not await self._store(stored, received):
            log.info("order %s was created concurrently", command.order_id)

    async def modify_items(
        self, command: order.ModifyOrderItems, received: Received[order.ModifyOrderItems]
    ) -> None:
        quantities = {change.product_id: change.quantity for change in command.changes}

        def decide(o: Order) -> None:
            try:
                o.modify_items(
                    quantities=quantities, requested_by=str(command.requested_by), now=self.clock()
                )
            except OrderStateConflict as conflict:
                log.warning("modification of order %s refused: %s", o.order_id, conflict.detail)

        await self._execute(command.order_id, decide, received)

    async def cancel(self, command: order.CancelOrder, received: Received[order.CancelOrder]) -> None:
        def decide(o: Order) -> None:
            try:
                o.cancel(reason=command.reason, requested_by=str(command.requested_by), now=self.clock())
            except OrderStateConflict as conflict:
                log.warning("cancellation of order %s refused: %s", o.order_id, conflict.detail)

        await self._execute(command.order_id, decide, received)

    # -- answers the saga waits for ----------------------------------------------------------------

    async def customer_validated(
        self, answer: user.CustomerValidated, received: Received[user.CustomerValidated]
    ) -> None:
        unavailable: list[UUID] = []
        if answer.is_valid:
            current = await self.repository.find(answer.order_id)
            if current is not None and current.order.steps["validate-customer"].status == "running":
                unavailable = await self.availability(current.order.lines)
        await self._execute(
            answer.order_id,
            lambda o: o.record_customer_validation(
                valid=answer.is_valid,
                segments=[segment.root for segment in answer.segments],
                rejection=answer.rejection.value if answer.rejection else None,
                unavailable=unavailable,
                now=self.clock(),
            ),
            received,
        )

    async def reservation_confirmed(
        self,
        answer: inventory.StockReservationConfirmed,
        received: Received[inventory.StockReservationConfirmed],
    ) -> None:
        current = await self.repository.find(answer.order_id)
        products = [line.product_id for line in current.order.lines] if current else []
        entries = await catalogue.entries(self.db, products)
        missing = set(products) - set(entries)
        if missing and current is not None and current.order.steps["reserve-stock"].status == "running":
            # Pricing needs the catalogue; this service's copy may lag a product listed moments ago.
            # Failing makes the consumer redeliver the answer after its backoff, by when it has caught up.
            raise CatalogueLagError(missing)
        await self._execute(
            answer.order_id,
            lambda o: o.record_reservation_confirmed(
                answer.reservation_id, catalogue=entries, now=self.clock()
            ),
            received,
        )

    async def reservation_failed(
        self, answer: inventory.StockReservationFailed, received: Received[inventory.StockReservationFailed]
    ) -> None:
        detail = ", ".join(
            f"{u.product_id}: {u.available} of {u.requested}" for u in answer.unavailable_items
        )
        await self._execute(
            answer.order_id,
            lambda o: o.record_reservation_rejected(
                answer.reservation_id, reason=answer.reason.value, detail=detail, now=self.clock()
            ),
            received,
        )

    async def reservation_expired(
        self, answer: inventory.StockReservationExpired, received: Received[inventory.StockReservationExpired]
    ) -> None:
        await self._execute(
            answer.order_id,
            lambda o: o.record_reservation_rejected(
                answer.reservation_id,
                reason="reservation_expired",
                detail="held past its expiration",
                now=self.clock(),
            ),
            received,
        )

    async def reservation_released(
        self,
        answer: inventory.StockReservationReleased,
        received: Received[inventory.StockReservationReleased],
    ) -> None:
        await self._execute(
            answer.order_id,
            lambda o: o.record_reservation_released(answer.reservation_id, now=self.clock()),
            received,
        )

    async def reservation_committed(
        self,
        answer: inventory.StockReservationCommitted,
        received: Received[inventory.StockReservationCommitted],
    ) -> None:
        await self._execute(
            answer.order_id,
            lambda o: o.record_reservation_committed(answer.reservation_id, now=self.clock()),
            received,
        )

    async def payment_method_validated(
        self, answer: payment.PaymentMethodValidated, received: Received[payment.PaymentMethodValidated]
    ) -> None:
        await self._execute(
            answer.order_id,
            lambda o: o.record_payment_method_validation(
                valid=answer.is_valid,
                method_type=answer.type.value,
                rejection=answer.rejection.value if answer.rejection else None,
                now=self.clock(),
            ),
            received,
        )

    async def payment_succeeded(
        self, answer: payment.PaymentSucceeded, received: Received[payment.PaymentSucceeded]
    ) -> None:
        await self._execute(
            answer.order_id,
            lambda o: o.record_payment_succeeded(reference=answer.processor_reference, now=self.clock()),
            received,
        )

    async def payment_failed(
        self, answer: payment.PaymentFailed, received: Received[payment.PaymentFailed]
    ) -> None:
        await self._execute(
            answer.order_id,
            lambda o: o.record_payment_failed(reason=answer.reason.value, now=self.clock()),
            received,
        )

    async def payment_refunded(
        self, answer: payment.PaymentRefunded, received: Received[payment.PaymentRefunded]
    ) -> None:
        await self._execute(
            answer.order_id,
            lambda o: o.record_refund(
                refund_id=answer.refund_id,
                amount=answer.amount.amount,
                outcome=answer.outcome.value,
                now=self.clock(),
            ),
            received,
        )

    async def notification_scheduled(
        self,
        scheduled: notification.NotificationScheduled,
        received: Received[notification.NotificationScheduled],
    ) -> None:
        related = scheduled.related_to
        if related is None or related.aggregate_type != "order":
            return  # a notification about something else (a restock, a welcome): not this saga's step
        await self._execute(
            UUID(related.aggregate_id),
            lambda o: o.record_notification_scheduled(scheduled.notification_id, now=self.clock()),
            received,
        )

    async def delivery_scheduled(
        self, scheduled: delivery.DeliveryScheduled, received: Received[delivery.DeliveryScheduled]
    ) -> None:
        await self._execute(
            scheduled.order_id,
            lambda o: o.record_delivery_scheduled(
                delivery_id=scheduled.delivery_id,
                carrier=scheduled.carrier,
                tracking_code=scheduled.tracking_code,
                window=(scheduled.window.start, scheduled.window.end),
                now=self.clock(),
            ),
            received,
        )

    # -- deadlines ---------------------------------------------------------------------------------

    async def expire_deadlines(self, order_id: UUID) -> None:
        """Let the order act on every step whose deadline has passed (it checks on fresh state)."""
        now = self.clock()

        def decide(o: Order) -> None:
            for name, step in o.steps.items():
                if step.deadline is not None and step.deadline <= now:
                    o.expire(name, now=now)

        await self._execute(order_id, decide, None)
