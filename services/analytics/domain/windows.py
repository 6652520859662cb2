"""Rolling windows over per-minute buckets, and the figures of the dashboard. Pure.

Every fact is counted in the bucket of the minute it happened (its business time, not when the event
was processed), so a window is a sum over a fixed number of buckets: the current, partial minute and the
minutes before it. Buckets are kept for two days (`RETENTION`), more than the longest window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

__all__ = [
    "RETENTION",
    "Figures",
    "Window",
    "average_order_value",
    "conversion_rate",
    "minute_of",
    "window_start",
]

RETENTION = timedelta(days=2)
ORDER_RETENTION = timedelta(days=35)


class Window(StrEnum):
    FIVE_MINUTES = "5m"
    FIFTEEN_MINUTES = "15m"
    ONE_HOUR = "1h"
    ONE_DAY = "24h"

    @property
    def minutes(self) -> int:
        return {"5m": 5, "15m": 15, "1h": 60, "24h": 1440}[self.value]


def minute_of(moment: datetime) -> datetime:
    """The bucket of `moment`: its minute, in UTC."""
    return moment.replace(second=0, microsecond=0)


def window_start(window: Window, now: datetime) -> datetime:
    """The first bucket of the window ending at `now`: `window.minutes` buckets, the current one included."""
    return minute_of(now) - timedelta(minutes=window.minutes - 1)


def average_order_value(revenue_cents: int, orders: int) -> int:
    """Revenue per confirmed order, in cents (0 with no order), rounded half up."""
    if orders <= 0:
        return 0
    return int((Decimal(revenue_cents) / orders).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def conversion_rate(converted: int, sessions: int) -> float:
    """Percentage of sessions that placed an order (0 with no session), at most 100."""
    if sessions <= 0:
        return 0.0
    return round(min(100.0, 100.0 * converted / sessions), 2)


@dataclass(frozen=True, slots=True)
class Figures:
    orders_placed: int
    orders_confirmed: int
    orders_cancelled: int
    revenue_cents: int
    average_order_value_cents: int
    orders_per_minute: float
    conversion_rate: float
