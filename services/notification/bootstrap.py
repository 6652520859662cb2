"""Composition root of the notification service.

Settings from the environment (seconds): `A4CO_NOTIFICATION_SEND_INTERVAL` (default 2), how often the
batch sender looks for due notifications; `A4CO_NOTIFICATION_GROUP_WINDOW` (default 10), how long low and
normal notifications with a group key wait for others of their group.

Its read model, the contact directory, is listed in `projections.py`.
"""

import asyncio
import os
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from prometheus_client import Counter

from a4co_sdk import Received
from a4co_sdk.models import artisan, delivery, inventory, loyalty, order, payment, user
from a4co_sdk.models.envelope import EventHeaders
from a4co_sdk.publishers.notification import NotificationPublishers
from a4co_sdk.servers.notification import NotificationApi, app
from a4co_sdk.subscribers.notification import NotificationHandlers, routes
from services.notification.adapters.providers import SimulatedProviders
from services.notification.adapters.repositories import SqlDirectory, SqlNotifications
from services.notification.application import drafts, handlers
from services.notification.application.ports import Directory, Notifications, Providers
from services.notification.application.sender import SenderSettings, send_due
from services.notification.domain.notifications import Draft
from services.notification.projections import PROJECTIONS
from services.platform.kit import Kit
from services.platform.probes import Probes
from services.platform.projections import ProjectionHost
from services.platform.runner import Runtime, Service
from services.platform.unit_of_work import UnitOfWork, current_unit_of_work

__all__ = ["build"]


def _seconds(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


def _stores(uow: UnitOfWork) -> tuple[Notifications, Directory]:
    return SqlNotifications(uow.session), SqlDirectory(uow.session)


def _occurred_at(received: Received[Any], now: datetime) -> datetime:
    """When the fact happened, from the envelope (every message carries it)."""
    headers = received.headers
    return headers.occurred_at if isinstance(headers, EventHeaders) else now


def _last_attempt(received: Received[Any]) -> bool:
    consumer = received.operation.consumer
    return consumer is None or (
        consumer.max_deliver > 0 and received.delivery.attempt >= consumer.max_deliver
    )


class Api(Probes, NotificationApi):
    def __init__(self, kit: Kit) -> None:
        self.service_name = kit.name
        self.metrics = kit.runtime.metrics
        self.readiness_checks = kit.readiness


class Handlers(NotificationHandlers):
    def __init__(self, publishers: NotificationPublishers, window: timedelta) -> None:
        self.publishers = publishers
        self.window = window

    async def _schedule(self, made: list[Draft]) -> None:
        uow = current_unit_of_work()
        notifications, directory = _stores(uow)
        await handlers.schedule_drafts(
            made, uow, notifications, directory, self.publishers, now=datetime.now(UTC), window=self.window
        )

    async def _customer_of(self, order_id: UUID, received: Received[Any]) -> UUID | None:
        directory = SqlDirectory(current_unit_of_work().session)
        return await handlers.order_recipient(directory, order_id, last_attempt=_last_attempt(received))

    # -- orders (consumer notification-service-orders) ---------------------------------------------------

    async def on_order_created(self, message: order.OrderCreated, received: Received[Any]) -> None:
        now = datetime.now(UTC)
        directory = SqlDirectory(current_unit_of_work().session)
        await handlers.remember_order(directory, message.order_id, message.customer_id, now=now)
        await self._schedule(drafts.order_created(message, _occurred_at(received, now)))

    async def on_order_state_changed(self, message: order.OrderStateChanged, received: Received[Any]) -> None:
        if not drafts.tells_customer(message.current_state):
            return  # a state the customer is not told about (see drafts): no need to know who they are
        customer = await self._customer_of(message.order_id, received)
        if customer is not None:
            await self._schedule(
                drafts.order_state_changed(message, customer, _occurred_at(received, datetime.now(UTC)))
            )

    async def on_order_items_modified(
        self, message: order.OrderItemsModified, received: Received[Any]
    ) -> None:
        customer = await self._customer_of(message.order_id, received)
        if customer is not None:
            await self._schedule(
                drafts.order_items_modified(message, customer, _occurred_at(received, datetime.now(UTC)))
            )

    # -- payments and deliveries: about an order, addressed to its customer ------------------------------

    async def on_payment_succeeded(self, message: payment.PaymentSucceeded, received: Received[Any]) -> None:
        customer = await self._customer_of(message.order_id, received)
        if customer is not None:
            await self._schedule(
                drafts.payment_succeeded(message, customer, _occurred_at(received, datetime.now(UTC)))
            )

    async def on_payment_failed(self, message: payment.PaymentFailed, received: Received[Any]) -> None:
        customer = await self._customer_of(message.order_id, received)
        if customer is not None:
            await self._schedule(
                drafts.payment_failed(message, customer, _occurred_at(received, datetime.now(UTC)))
            )

    async def on_payment_refunded(self, message: payment.PaymentRefunded, received: Received[Any]) -> None:
        if message.outcome is payment.RefundOutcome.NOTHING_TO_REFUND:
            return  # nothing moved: nobody is told (see drafts.payment_refunded)
        customer = await self._customer_of(message.order_id, received)
        if customer is not None:
            await self._schedule(
                drafts.payment_refunded(message, customer, _occurred_at(received, datetime.now(UTC)))
            )

    async def on_delivery_scheduled(
        self, message: delivery.DeliveryScheduled, received: Received[Any]
    ) -> None:
        customer = await self._customer_of(message.order_id, received)
        if customer is not None:
            await self._schedule(
                drafts.delivery_scheduled(message, customer, _occurred_at(received, datetime.now(UTC)))
            )

    # -- inventory: the artisan -----------------------------------------------------------------------------

    async def on_stock_threshold_reached(
        self, message: inventory.StockThresholdReached, received: Received[Any]
    ) -> None:
        await self._schedule(
            drafts.stock_threshold_reached(message, _occurred_at(received, datetime.now(UTC)))
        )

    async def on_purchase_order_created(
        self, message: inventory.PurchaseOrderCreated, received: Received[Any]
    ) -> None:
        await self._schedule(
            drafts.purchase_order_created(message, _occurred_at(received, datetime.now(UTC)))
        )

    async def on_purchase_order_cancelled(
        self, message: inventory.PurchaseOrderCancelled, received: Received[Any]
    ) -> None:
        await self._schedule(
            drafts.purchase_order_cancelled(message, _occurred_at(received, datetime.now(UTC)))
        )

    async def on_restock_scheduled(
        self, message: inventory.RestockScheduled, received: Received[Any]
    ) -> None:
        await self._schedule(drafts.restock_scheduled(message, _occurred_at(received, datetime.now(UTC))))

    # -- accounts --------------------------------------------------------------------------------------------

    async def on_loyalty_points_earned(
        self, message: loyalty.LoyaltyPointsEarned, received: Received[Any]
    ) -> None:
        await self._schedule(drafts.loyalty_points_earned(message, _occurred_at(received, datetime.now(UTC))))

    async def on_user_registered(self, message: user.UserRegistered, received: Received[Any]) -> None:
        now = datetime.now(UTC)
        await handlers.remember_customer(SqlDirectory(current_unit_of_work().session), message, now=now)
        await self._schedule(drafts.user_registered(message, _occurred_at(received, now)))

    async def on_artisan_onboarding_completed(
        self, message: artisan.ArtisanOnboardingCompleted, received: Received[Any]
    ) -> None:
        now = datetime.now(UTC)
        await handlers.remember_artisan(SqlDirectory(current_unit_of_work().session), message, now=now)
        await self._schedule(drafts.artisan_onboarded(message, _occurred_at(received, now)))

    async def on_artisan_performance_evaluated(
        self, message: artisan.ArtisanPerformanceEvaluated, received: Received[Any]
    ) -> None:
        await self._schedule(
            drafts.artisan_performance_evaluated(message, _occurred_at(received, datetime.now(UTC)))
        )


class Sender:
    """The batch sender as a background task: one batch every `interval` seconds, counted by outcome."""

    def __init__(
        self,
        kit: Kit,
        providers: Providers,
        publishers: NotificationPublishers,
        settings: SenderSettings,
        interval: float,
    ) -> None:
        self._kit = kit
        self._providers = providers
        self._publishers = publishers
        self._settings = settings
        self._interval = interval
        self._finished = Counter(
            "a4co_notifications",
            "Notifications the batch sender finished, by outcome (sent, failed, expired)",
            ["outcome"],
            registry=kit.runtime.metrics.registry,
        )

    async def run(self) -> None:
        while True:
            report = await send_due(
                self._kit.unit_of_work,
                _stores,
                self._providers,
                self._publishers,
                now=lambda: datetime.now(UTC),
                settings=self._settings,
            )
            for outcome in report.outcomes if report else ():
                self._finished.labels(outcome=outcome.status.value).inc()
            await asyncio.sleep(self._interval)


async def build(runtime: Runtime) -> Service:
    kit = await Kit.open(runtime)
    await kit.create_tables()
    window = timedelta(seconds=_seconds("A4CO_NOTIFICATION_GROUP_WINDOW", 10))
    interval = _seconds("A4CO_NOTIFICATION_SEND_INTERVAL", 2)
    publishers = NotificationPublishers(runtime.js, cipher=kit.cipher)
    sender = Sender(kit, SimulatedProviders(), publishers, SenderSettings(window=window), interval)
    host = ProjectionHost.from_kit(kit, PROJECTIONS)
    consumers = host.consumers(routes(Handlers(publishers, window)))
    return kit.service(
        kit.http(app, Api(kit)),
        consumers,
        background={"notification sender": sender.run, **host.background()},
    )
