"""Composition root of the order service: the event store, its relay, the saga's timer and the consumers."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from a4co_sdk import ApiError, Received
from a4co_sdk._runtime.http_server import HttpProblem, HttpResponse
from a4co_sdk.clients.inventory import InventoryClient
from a4co_sdk.models import delivery, inventory, notification, order, payment, product, user
from a4co_sdk.publishers.order import OrderPublishers
from a4co_sdk.servers.order import OrderApi, app
from a4co_sdk.streams import ES_ORDERS_STREAM
from a4co_sdk.subscribers.order import OrderHandlers, routes
from services.order.adapters import catalogue, saga_index
from services.order.adapters.stored_order import UPCASTERS, StoredOrder
from services.order.adapters.view import order_view
from services.order.application.handlers import OrderUseCases
from services.order.domain.events import Line
from services.order.domain.order import SagaTimeouts
from services.platform.eventstore import EventStore, JetStreamRepository, Relay, RelayConfig, RelayedCommit
from services.platform.kit import Kit
from services.platform.probes import Probes
from services.platform.runner import Runtime, Service
from services.platform.unit_of_work import current_unit_of_work

log = logging.getLogger(__name__)

DEADLINE_SCAN = 0.25
AVAILABILITY_TIMEOUT = 0.3
CATALOGUE_CONSUMERS = {"order-on-product-listed", "order-on-product-price-changed"}


def saga_timeouts() -> SagaTimeouts:
    """Deadlines from A4CO_SAGA_<NAME>_SECONDS, so tests and demos can make them short."""

    def seconds(name: str, default: timedelta) -> timedelta:
        value = os.environ.get(f"A4CO_SAGA_{name}_SECONDS")
        return timedelta(seconds=float(value)) if value else default

    base = SagaTimeouts()
    return SagaTimeouts(
        step=seconds("STEP", base.step),
        reservation_hold=seconds("RESERVATION_HOLD", base.reservation_hold),
        payment=seconds("PAYMENT", base.payment),
        notify=seconds("NOTIFY", base.notify),
        delivery=seconds("DELIVERY", base.delivery),
        compensation=seconds("COMPENSATION", base.compensation),
    )


class Api(Probes, OrderApi):
    def __init__(self, kit: Kit, repository: JetStreamRepository[StoredOrder]) -> None:
        self.service_name = kit.name
        self.metrics = kit.runtime.metrics
        self.readiness_checks = kit.readiness
        self.repository = repository

    async def get_order(self, *, order_id: UUID, x_request_id: str | None) -> order.OrderView | HttpResponse:
        stored = await self.repository.find(order_id)
        if stored is None:
            raise HttpProblem(404, "Order not found", detail=f"no order {order_id}")
        return order_view(stored.order)


class Handlers(OrderHandlers):
    """The contract's receive operations of the order service, each one use case."""

    def __init__(self, use_cases: OrderUseCases) -> None:
        self.u = use_cases

    async def on_create_order(self, message: order.CreateOrder, received: Received[Any]) -> None:
        await self.u.create_order(message, received)

    async def on_modify_order_items(self, message: order.ModifyOrderItems, received: Received[Any]) -> None:
        await self.u.modify_items(message, received)

    async def on_cancel_order(self, message: order.CancelOrder, received: Received[Any]) -> None:
        await self.u.cancel(message, received)

    async def on_customer_validated(self, message: user.CustomerValidated, received: Received[Any]) -> None:
        await self.u.customer_validated(message, received)

    async def on_stock_reservation_confirmed(
        self, message: inventory.StockReservationConfirmed, received: Received[Any]
    ) -> None:
        await self.u.reservation_confirmed(message, received)

    async def on_stock_reservation_failed(
        self, message: inventory.StockReservationFailed, received: Received[Any]
    ) -> None:
        await self.u.reservation_failed(message, received)

    async def on_stock_reservation_expired(
        self, message: inventory.StockReservationExpired, received: Received[Any]
    ) -> None:
        await self.u.reservation_expired(message, received)

    async def on_stock_reservation_released(
        self, message: inventory.StockReservationReleased, received: Received[Any]
    ) -> None:
        await self.u.reservation_released(message, received)

    async def on_stock_reservation_committed(
        self, message: inventory.StockReservationCommitted, received: Received[Any]
    ) -> None:
        await self.u.reservation_committed(message, received)

    async def on_payment_method_validated(
        self, message: payment.PaymentMethodValidated, received: Received[Any]
    ) -> None:
        await self.u.payment_method_validated(message, received)

    async def on_payment_succeeded(self, message: payment.PaymentSucceeded, received: Received[Any]) -> None:
        await self.u.payment_succeeded(message, received)

    async def on_payment_failed(self, message: payment.PaymentFailed, received: Received[Any]) -> None:
        await self.u.payment_failed(message, received)

    async def on_payment_refunded(self, message: payment.PaymentRefunded, received: Received[Any]) -> None:
        await self.u.payment_refunded(message, received)

    async def on_notification_scheduled(
        self, message: notification.NotificationScheduled, received: Received[Any]
    ) -> None:
        await self.u.notification_scheduled(message, received)

    async def on_delivery_scheduled(
        self, message: delivery.DeliveryScheduled, received: Received[Any]
    ) -> None:
        await self.u.delivery_scheduled(message, received)

    async def on_product_listed(self, message: product.ProductListed, received: Received[Any]) -> None:
        await catalogue.list_product(current_unit_of_work().session, message)

    async def on_product_price_changed(
        self, message: product.ProductPriceChanged, received: Received[Any]
    ) -> None:
        await catalogue.change_price(current_unit_of_work().session, message)


def availability_check(client: InventoryClient) -> Any:
    """The matrix's synchronous check before reserving: lines the inventory says it cannot fill.

    A fast path only: if the inventory service does not answer in time the saga reserves anyway, and the
    reservation (the authority) decides.
    """

    async def unavailable(lines: Sequence[Line]) -> list[Any]:
        async def short(line: Line) -> bool:
            try:
                level = await client.get_product_availability(
                    product_id=line.product_id, timeout=AVAILABILITY_TIMEOUT
                )
            except ApiError as exc:
                return exc.status == 404  # never heard of it: short; unreachable: let the reservation decide
            return level.available < line.quantity

        results = await asyncio.gather(*(short(line) for line in lines))
        return [line.product_id for line, missing in zip(lines, results, strict=True) if missing]

    return unavailable


async def build(runtime: Runtime) -> Service:
    StoredOrder.timeouts = saga_timeouts()
    kit = await Kit.open(runtime)
    await kit.create_tables()
    assert kit.db is not None
    db = kit.db
    store = EventStore(runtime.js, ES_ORDERS_STREAM, "es.order")
    repository = JetStreamRepository(store, StoredOrder, upcasters=UPCASTERS)
    inventory_client = kit.client(InventoryClient, "inventory", timeout=AVAILABILITY_TIMEOUT)
    use_cases = OrderUseCases(
        repository=repository,
        publishers=OrderPublishers(runtime.js, cipher=kit.cipher),
        db=db,
        availability=availability_check(inventory_client),
    )
    metrics = runtime.metrics

    async def index(relayed: RelayedCommit) -> None:
        """Keep the saga index in step with the event store (at least once per commit)."""
        stored = await repository.find(relayed.commit.aggregate_id)
        if stored is None:
            return
        await saga_index.record(db, stored.order, datetime.now(UTC))
        for event in relayed.commit.events:
            if event.type in ("DeliveryScheduled", "CompensationCompleted"):
                o = stored.order
                status = "confirmed" if event.type == "DeliveryScheduled" else "cancelled"
                metrics.business.orders_created.labels(
                    status=status,
                    payment_method=o.payment_method_type or "unknown",
                    customer_segment=o.segments[0] if o.segments else "none",
                ).inc()
                if status == "confirmed":
                    category = o.lines[0].category if o.lines and o.lines[0].category else "unknown"
                    metrics.business.order_value.labels(
                        product_category=category, artisan_tier="all"
                    ).observe(float(o.total))

    # A short ack_wait: after a crash the new relay waits this long for commits the old one left in flight.
    relay = Relay(
        runtime.js, ES_ORDERS_STREAM, "order-relay", config=RelayConfig(ack_wait=10.0), before_ack=index
    )

    async def deadlines() -> None:
        """Act on every passed deadline, also those that passed while the service was down."""
        while True:
            for order_id in await saga_index.due(db, datetime.now(UTC)):
                try:
                    await use_cases.expire_deadlines(order_id)
                except Exception:
                    log.exception("deadline of order %s", order_id)
            await asyncio.sleep(DEADLINE_SCAN)

    async def saga_gauge() -> None:
        while True:
            for status, count in (await saga_index.status_counts(db)).items():
                metrics.sagas.labels(status=status).set(count)
            await asyncio.sleep(5)

    service = kit.service(
        kit.http(app, Api(kit, repository)),
        kit.consumers(routes(Handlers(use_cases)), transactional=lambda name: name in CATALOGUE_CONSUMERS),
        background={"order relay": relay.run, "saga deadlines": deadlines, "saga gauge": saga_gauge},
    )
    service.on_stop.append(inventory_client.aclose)
    return service
