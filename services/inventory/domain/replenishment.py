"""Demand and the Inventory Replenishment Saga (design document), as decisions on plain values.

The saga starts on the service's own `inventory.threshold.reached.v1` and runs its steps in one
transaction, so its state is stored with the messages it sends:

    analyze-demand               recommended = 30 days of average sales, at least the threshold (and 1)
    check-supplier-availability  the artisan's monthly capacity minus the units of its open purchase orders
    create-purchase-order        `inventory.purchase.order.created.v1` for what the workshop can make, or
                                 `inventory.purchase.order.cancelled.v1` (compensation) when it can make
                                 nothing or its capacity is unknown
    notify-artisan               choreographed: the notification service tells the artisan when it sees
                                 the purchase order created (or cancelled) event
    schedule-restock             `inventory.restock.scheduled.v1`; when due, a timer adds the units to the
                                 stock (`inventory.stock.adjusted.v1`, reason restock) and closes the order

It does not start when the stock recovered before the saga ran (a release came in between), nor when a
purchase order of the product is still on its way: one open order per product, so a stock bouncing
around its threshold does not order again and again. Those sagas are recorded as skipped.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import UUID

__all__ = [
    "COVER_DAYS",
    "DEMAND_WINDOW_DAYS",
    "Decision",
    "PurchaseOrder",
    "PurchaseStatus",
    "Workshop",
    "average_daily_sales",
    "estimated_stockout",
    "plan_purchase",
    "recommended_quantity",
]

DEMAND_WINDOW_DAYS = 30
"""Sales of the last 30 days make the average (or of the days since listing, when fewer)."""
COVER_DAYS = 30
"""A purchase order covers 30 days of average sales."""
STOCKOUT_HORIZON = timedelta(days=365)
"""A product that does not sell is not expected to run out within a year."""


@dataclass(frozen=True, slots=True)
class Workshop:
    """What inventory knows of an artisan, from `artisan.onboarding.completed.v1`."""

    artisan_id: UUID
    town: str
    monthly_capacity: int
    completed_at: datetime


def average_daily_sales(units: int, *, listed_at: datetime, now: datetime) -> float:
    """Units ordered in the demand window, per day; a product listed 3 days ago divides by 3, not 30."""
    days = math.ceil((now - listed_at) / timedelta(days=1))
    return round(units / min(max(days, 1), DEMAND_WINDOW_DAYS), 3)


def estimated_stockout(available: int, average: float, now: datetime) -> datetime:
    if available <= 0:
        return now
    if average <= 0:
        return now + STOCKOUT_HORIZON
    # Capped as a number first: a large stock selling slowly is more days than a timedelta can hold.
    return now + timedelta(days=min(available / average, STOCKOUT_HORIZON.days))


def recommended_quantity(average: float, threshold: int) -> int:
    return max(math.ceil(average * COVER_DAYS), threshold, 1)


class PurchaseStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    """Ordered from the artisan; the restock is due at `scheduled_for`."""
    RECEIVED = "received"
    """The units were added to the stock."""
    CANCELLED = "cancelled"
    """Compensated: the workshop could not make them."""
    SKIPPED = "skipped"
    """No order was needed."""


@dataclass(frozen=True, slots=True)
class Decision:
    """What the saga does: order `quantity` units, or cancel (compensate), or skip, with the reason."""

    status: PurchaseStatus
    quantity: int
    reason: str | None = None


def plan_purchase(
    *,
    recommended: int,
    capacity: int | None,
    open_units: int,
    open_for_product: bool,
    still_low: bool,
) -> Decision:
    if not still_low:
        return Decision(PurchaseStatus.SKIPPED, 0, "stock recovered above its threshold before the saga ran")
    if open_for_product:
        return Decision(PurchaseStatus.SKIPPED, 0, "a purchase order for this product is already on its way")
    if capacity is None:
        return Decision(
            PurchaseStatus.CANCELLED,
            recommended,
            "the artisan's monthly capacity is unknown: its onboarding has not been received",
        )
    free = capacity - open_units
    if free <= 0:
        return Decision(
            PurchaseStatus.CANCELLED,
            recommended,
            f"the workshop has no capacity left: {capacity} units a month, {open_units} already ordered",
        )
    return Decision(PurchaseStatus.SCHEDULED, min(recommended, free))


@dataclass(frozen=True, slots=True)
class PurchaseOrder:
    """The replenishment saga's state, one per threshold event (its id derives from the event's id)."""

    purchase_order_id: UUID
    product_id: UUID
    artisan_id: UUID
    threshold_kind: str
    recommended: int
    quantity: int
    status: PurchaseStatus
    created_at: datetime
    scheduled_for: datetime | None
    restock_id: UUID | None
    reason: str | None = None
    closed_at: datetime | None = None
    correlation_id: UUID | None = None

    def receive(self, now: datetime) -> PurchaseOrder:
        if self.status is not PurchaseStatus.SCHEDULED:
            raise ValueError(f"purchase order {self.purchase_order_id} is {self.status}")
        return replace(self, status=PurchaseStatus.RECEIVED, closed_at=now)
