"""Reservation metrics, counted from the reservations table when Prometheus scrapes.

Counting in the database rather than incrementing in handlers keeps the numbers exact: a batch that rolls
back and runs again message by message would count twice in memory, and a restart would start from zero.
One grouped count per scrape (every 15 s or so) is cheap next to the traffic. With several replicas each
reports the same totals: take the max, not the sum.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from services.inventory.adapters.tables import reservations
from services.inventory.domain.reservations import ReservationStatus
from services.platform.database import Database

__all__ = ["ReservationMetrics"]

log = logging.getLogger(__name__)


class ReservationMetrics(Collector):
    """`a4co_inventory_reservations_held` (gauge) and `a4co_inventory_reservations_total{outcome}`
    (confirmed, failed, expired), as of the last `refresh()`."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.held = 0
        self.outcomes = {"confirmed": 0, "failed": 0, "expired": 0}

    async def refresh(self, *, timeout: float = 1.0) -> None:  # noqa: ASYNC109 - a scrape bounds its own wait
        """Count again; on failure the last counts stay (a scrape must not fail for it)."""
        query = select(
            reservations.c.status, reservations.c.confirmed_at.is_not(None).label("confirmed"), func.count()
        ).group_by(reservations.c.status, "confirmed")
        try:
            async with asyncio.timeout(timeout), self._db.transaction(read_only=True) as session:
                rows = (await session.execute(query)).all()
        except Exception as exc:  # noqa: BLE001 - metrics keep their last values
            log.warning("reservation metrics not refreshed: %s: %s", type(exc).__name__, exc)
            return
        held = confirmed = failed = expired = 0
        for status, was_confirmed, count in rows:
            if status == ReservationStatus.HELD:
                held += count
            if status == ReservationStatus.FAILED:
                failed += count
            if status == ReservationStatus.EXPIRED:
                expired += count
            if was_confirmed:
                confirmed += count
        self.held = held
        self.outcomes = {"confirmed": confirmed, "failed": failed, "expired": expired}

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily("a4co_inventory_reservations_held", "Reservations holding stock now")
        gauge.add_metric([], self.held)
        yield gauge
        counter = CounterMetricFamily(
            "a4co_inventory_reservations", "Reservations by outcome", labels=["outcome"]
        )
        for outcome, value in self.outcomes.items():
            counter.add_metric([outcome], value)
        yield counter
