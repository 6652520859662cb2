"""Composition root of the artisan service."""

import asyncio
import logging
import os
import re
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from a4co_sdk import Received
from a4co_sdk._runtime.http_server import HttpResponse
from a4co_sdk.models import artisan, common, order, payment
from a4co_sdk.publishers.artisan import ArtisanPublishers
from a4co_sdk.servers.artisan import ArtisanApi, app
from a4co_sdk.subscribers.artisan import ArtisanHandlers, routes
from services.artisan.application import handlers
from services.artisan.projections import PROJECTIONS
from services.platform.database import Database
from services.platform.kit import Kit
from services.platform.observability import Metrics
from services.platform.probes import Probes
from services.platform.projections import ProjectionHost
from services.platform.runner import Runtime, Service
from services.platform.unit_of_work import current_unit_of_work

log = logging.getLogger(__name__)

EVALUATION_INTERVAL_ENV = "A4CO_EVALUATION_INTERVAL"
DEFAULT_EVALUATION_INTERVAL = 600.0
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def evaluation_interval(value: str | None) -> float:
    """`A4CO_EVALUATION_INTERVAL`: seconds, or a duration such as `10m`, `30s`, `1h` (default 10 minutes)."""
    if not value:
        return DEFAULT_EVALUATION_INTERVAL
    match = _DURATION.match(value)
    if match is None or float(match.group(1)) <= 0:
        raise ValueError(
            f"{EVALUATION_INTERVAL_ENV}={value!r}: write seconds or a duration like 10m, 30s, 1h"
        )
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


class Api(Probes, ArtisanApi):
    def __init__(self, kit: Kit, db: Database) -> None:
        self.service_name = kit.name
        self.metrics = kit.runtime.metrics
        self.readiness_checks = kit.readiness
        self._db = db

    async def geo_search_artisans(
        self,
        *,
        latitude: float,
        longitude: float,
        radius_km: float,
        category: common.ProductCategory | None,
        limit: int,
        x_request_id: str | None,
    ) -> artisan.GeoSearchResult | HttpResponse:
        return await handlers.geo_search(
            self._db, latitude, longitude, radius_km, category.value if category is not None else None, limit
        )


class Handlers(ArtisanHandlers):
    async def on_order_created(
        self, message: order.OrderCreated, received: Received[order.OrderCreated]
    ) -> None:
        await handlers.record_order_created(message, current_unit_of_work())

    async def on_order_state_changed(
        self, message: order.OrderStateChanged, received: Received[order.OrderStateChanged]
    ) -> None:
        await handlers.record_order_state(message, current_unit_of_work())

    async def on_payment_split_created(
        self, message: payment.PaymentSplitCreated, received: Received[payment.PaymentSplitCreated]
    ) -> None:
        await handlers.record_payment_split(message, current_unit_of_work())

    async def on_artisan_onboarding_completed(
        self,
        message: artisan.ArtisanOnboardingCompleted,
        received: Received[artisan.ArtisanOnboardingCompleted],
    ) -> None:
        await handlers.record_onboarding(message, current_unit_of_work())


class PerformanceGauge:
    """business_artisan_performance_score{artisan_id, tier, category}: one series per artisan, the latest."""

    def __init__(self, metrics: Metrics) -> None:
        self._gauge = metrics.business.artisan_performance
        self._labels: dict[str, tuple[str, str, str]] = {}

    def update(self, evaluated: list[handlers.Evaluated]) -> None:
        for item in evaluated:
            labels = (item.artisan_id, item.evaluation.tier, item.category)
            previous = self._labels.get(item.artisan_id)
            if previous is not None and previous != labels:
                self._gauge.remove(*previous)  # a new tier is a new series; the old one must not linger
            self._labels[item.artisan_id] = labels
            self._gauge.labels(*labels).set(item.evaluation.score)


def periodic_evaluation(
    kit: Kit, publishers: ArtisanPublishers, interval: float
) -> Callable[[], Coroutine[Any, Any, None]]:
    gauge = PerformanceGauge(kit.runtime.metrics)

    async def run() -> None:
        while True:
            await asyncio.sleep(interval)
            now = datetime.now(UTC)
            async with kit.unit_of_work() as uow:
                evaluated = await handlers.evaluate_performance(uow, publishers, now)
            gauge.update(evaluated)
            log.info("evaluated %d artisans", len(evaluated))

    return run


async def build(runtime: Runtime) -> Service:
    interval = evaluation_interval(os.environ.get(EVALUATION_INTERVAL_ENV))
    kit = await Kit.open(runtime)
    await kit.create_tables()
    assert kit.db is not None
    publishers = ArtisanPublishers(runtime.js, cipher=kit.cipher)
    host = ProjectionHost.from_kit(kit, PROJECTIONS)
    consumers = host.consumers(routes(Handlers()))
    background: dict[str, Any] = {
        **host.background(),
        "performance evaluation": periodic_evaluation(kit, publishers, interval),
    }
    return kit.service(kit.http(app, Api(kit, kit.db)), consumers, background=background)
