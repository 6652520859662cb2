"""Composition root of the analytics service."""

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Gauge

from a4co_sdk import Received
from a4co_sdk._runtime.http_server import HttpResponse
from a4co_sdk.models import analytics, artisan, delivery, notification, order, payment, product, user
from a4co_sdk.servers.analytics import AnalyticsApi, app
from a4co_sdk.subscribers.analytics import AnalyticsHandlers, routes
from services.analytics.application import handlers
from services.analytics.domain.windows import Window
from services.analytics.projections import PROJECTIONS
from services.platform.database import Database
from services.platform.kit import Kit
from services.platform.probes import Probes
from services.platform.projections import ProjectionHost
from services.platform.runner import Runtime, Service
from services.platform.unit_of_work import current_unit_of_work

log = logging.getLogger(__name__)

METRICS_INTERVAL = 30.0
PRUNE_INTERVAL = 600.0
STOREFRONT = "storefront"


class Api(Probes, AnalyticsApi):
    def __init__(self, kit: Kit, db: Database) -> None:
        self.service_name = kit.name
        self.metrics = kit.runtime.metrics
        self.readiness_checks = kit.readiness
        self._db = db

    async def get_real_time_analytics(
        self, *, window: analytics.AnalyticsWindow, x_request_id: str | None
    ) -> analytics.RealTimeDashboard | HttpResponse:
        return await handlers.dashboard(self._db, Window(window.value), datetime.now(UTC))


def _occurred_at(received: Received[Any]) -> datetime:
    """When the fact happened, from the envelope (`occurred-at`); now if a producer left it out."""
    occurred: datetime | None = getattr(received.headers, "occurred_at", None)
    return occurred if occurred is not None else datetime.now(UTC)


class Handlers(AnalyticsHandlers):
    async def on_order_created(
        self, message: order.OrderCreated, received: Received[order.OrderCreated]
    ) -> None:
        await handlers.count_order_created(message, current_unit_of_work())

    async def on_order_state_changed(
        self, message: order.OrderStateChanged, received: Received[order.OrderStateChanged]
    ) -> None:
        await handlers.count_order_state(message, current_unit_of_work())

    async def on_payment_succeeded(
        self, message: payment.PaymentSucceeded, received: Received[payment.PaymentSucceeded]
    ) -> None:
        await handlers.count_payment_succeeded(message, current_unit_of_work())

    async def on_payment_failed(
        self, message: payment.PaymentFailed, received: Received[payment.PaymentFailed]
    ) -> None:
        await handlers.count_payment_failed(message, current_unit_of_work())

    async def on_payment_split_created(
        self, message: payment.PaymentSplitCreated, received: Received[payment.PaymentSplitCreated]
    ) -> None:
        await handlers.count_payment_split(message, current_unit_of_work())

    async def on_payment_refunded(
        self, message: payment.PaymentRefunded, received: Received[payment.PaymentRefunded]
    ) -> None:
        await handlers.count_payment_refunded(message, current_unit_of_work())

    async def on_user_behavior_tracked(
        self, message: user.UserBehaviorTracked, received: Received[user.UserBehaviorTracked]
    ) -> None:
        await handlers.record_behavior(message, current_unit_of_work())

    async def on_user_segment_changed(
        self, message: user.UserSegmentChanged, received: Received[user.UserSegmentChanged]
    ) -> None:
        await handlers.record_segments(message, current_unit_of_work())

    async def on_artisan_onboarding_completed(
        self,
        message: artisan.ArtisanOnboardingCompleted,
        received: Received[artisan.ArtisanOnboardingCompleted],
    ) -> None:
        await handlers.record_artisan(message, current_unit_of_work())

    async def on_artisan_performance_evaluated(
        self,
        message: artisan.ArtisanPerformanceEvaluated,
        received: Received[artisan.ArtisanPerformanceEvaluated],
    ) -> None:
        await handlers.record_evaluation(message, current_unit_of_work())

    async def on_product_listed(
        self, message: product.ProductListed, received: Received[product.ProductListed]
    ) -> None:
        await handlers.record_product(message, current_unit_of_work())

    async def on_notification_scheduled(
        self,
        message: notification.NotificationScheduled,
        received: Received[notification.NotificationScheduled],
    ) -> None:
        await handlers.count_notification_scheduled(message, current_unit_of_work(), _occurred_at(received))

    async def on_notification_batch_processed(
        self,
        message: notification.NotificationBatchProcessed,
        received: Received[notification.NotificationBatchProcessed],
    ) -> None:
        await handlers.count_notification_batch(message, current_unit_of_work())

    async def on_delivery_scheduled(
        self, message: delivery.DeliveryScheduled, received: Received[delivery.DeliveryScheduled]
    ) -> None:
        await handlers.count_delivery_scheduled(message, current_unit_of_work())


def publish_figures(kit: Kit, db: Database) -> Callable[[], Coroutine[Any, Any, None]]:
    """Every 30 s: business_conversion_rate (1 h, all customers and the largest segments) and the
    15-minute totals of every counted metric as a4co_analytics_window_total, for Prometheus."""
    metrics = kit.runtime.metrics
    totals = Gauge(
        "a4co_analytics_window_total",
        "Sum of a counted business metric over the last window",
        ["metric", "window"],
        registry=metrics.registry,
    )

    async def run() -> None:
        while True:
            now = datetime.now(UTC)
            for conversion in await handlers.conversions(db, Window.ONE_HOUR, now):
                metrics.business.conversion_rate.labels(STOREFRONT, conversion.segment).set(conversion.rate)
            for metric, value in (await handlers.window_totals(db, Window.FIFTEEN_MINUTES, now)).items():
                totals.labels(metric, Window.FIFTEEN_MINUTES.value).set(value)
            await asyncio.sleep(METRICS_INTERVAL)

    return run


def prune_periodically(db: Database) -> Callable[[], Coroutine[Any, Any, None]]:
    async def run() -> None:
        while True:
            deleted = await handlers.prune(db, datetime.now(UTC))
            if deleted:
                log.info("pruned %d rows older than every window", deleted)
            await asyncio.sleep(PRUNE_INTERVAL)

    return run


async def build(runtime: Runtime) -> Service:
    kit = await Kit.open(runtime)
    await kit.create_tables()
    assert kit.db is not None
    host = ProjectionHost.from_kit(kit, PROJECTIONS)
    consumers = host.consumers(routes(Handlers()))
    background: dict[str, Any] = {
        **host.background(),
        "business figures": publish_figures(kit, kit.db),
        "pruning": prune_periodically(kit.db),
    }
    return kit.service(kit.http(app, Api(kit, kit.db)), consumers, background=background)
