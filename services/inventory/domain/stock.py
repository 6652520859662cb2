"""The stock of one product and the rules every change to it obeys.

Three numbers describe it: `on_hand` (units in the workshop), `reserved` (units held for reservations not
yet committed) and `available = on_hand - reserved`. Whatever happens, `0 <= reserved <= on_hand`, so
`available` never goes below zero. Each change adds one to `version`, which every event carries with the
absolute level, so a reader keeps a level only when its version is newer (safe against gaps, reordering
and redelivery).

Changes, and where units come from and go to (stock conservation):
    hold     reserved += q             (a reservation confirmed; needs available >= q)
    free     reserved -= q             (a reservation released or expired)
    take     on_hand -= q, reserved -= q  (a reservation committed: the units are sold)
    receive  on_hand += q              (initial stock, a restock, goods returned by a cancelled or
                                        modified order)
so `on_hand = initial + restocks - committed + returned`, and `reserved` is the sum of held reservations.

Thresholds (the product's `lowStockThreshold` T, on available stock):
    reorder   available <= T        time to order more
    low       available <= T // 2   half the safety stock is gone
    critical  available == 0        sold out
`inventory.threshold.reached.v1` is sent once per crossing: when available falls into a more severe band
than the one last recorded. Recovering (a release, a restock) re-arms the bands it climbs out of, without
an event, so stock that bounces around a threshold is reported once per fall, not on every change.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

__all__ = [
    "Crossing",
    "InsufficientStockError",
    "InventoryError",
    "Line",
    "Shortage",
    "ShortageReason",
    "Stock",
    "StockInvariantError",
    "ThresholdKind",
    "Unavailable",
    "alert_for",
    "cross",
    "merge_lines",
    "shortage",
    "threshold_value",
]


class InventoryError(Exception):
    """Base of the inventory context's errors."""


class InsufficientStockError(InventoryError):
    """A change would make available stock negative."""

    def __init__(self, product_id: UUID, *, requested: int, available: int) -> None:
        super().__init__(f"product {product_id}: {requested} requested, {available} available")
        self.product_id = product_id
        self.requested = requested
        self.available = available


class StockInvariantError(InventoryError):
    """A change that cannot happen if the records are consistent (freeing more than is reserved)."""


class ThresholdKind(enum.StrEnum):
    """The contract's `ThresholdType`, from the mildest to the most severe."""

    REORDER = "reorder"
    LOW = "low"
    CRITICAL = "critical"


_SEVERITY: dict[ThresholdKind | None, int] = {
    None: 0,
    ThresholdKind.REORDER: 1,
    ThresholdKind.LOW: 2,
    ThresholdKind.CRITICAL: 3,
}


def alert_for(available: int, threshold: int) -> ThresholdKind | None:
    """The most severe band `available` is in, or None above the threshold."""
    if available <= 0:
        return ThresholdKind.CRITICAL
    if available <= threshold // 2:
        return ThresholdKind.LOW
    if available <= threshold:
        return ThresholdKind.REORDER
    return None


def threshold_value(kind: ThresholdKind, threshold: int) -> int:
    """The available stock at which `kind` starts, for the event's `threshold` field."""
    return {ThresholdKind.REORDER: threshold, ThresholdKind.LOW: threshold // 2, ThresholdKind.CRITICAL: 0}[
        kind
    ]


@dataclass(frozen=True, slots=True)
class Crossing:
    alert: ThresholdKind | None
    """The band to record now."""
    reached: ThresholdKind | None
    """The band just fallen into, when it is more severe than the recorded one: announce it."""


def cross(recorded: ThresholdKind | None, available: int, threshold: int) -> Crossing:
    current = alert_for(available, threshold)
    reached = current if _SEVERITY[current] > _SEVERITY[recorded] else None
    return Crossing(current, reached)


@dataclass(frozen=True, slots=True)
class Stock:
    """The stock record of one product."""

    product_id: UUID
    artisan_id: UUID
    name: str
    threshold: int
    on_hand: int
    reserved: int
    version: int
    alert: ThresholdKind | None
    listed_at: datetime
    last_restock_at: datetime

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    def hold(self, quantity: int) -> Stock:
        if quantity > self.available:
            raise InsufficientStockError(self.product_id, requested=quantity, available=self.available)
        return self._changed(self.on_hand, self.reserved + quantity)

    def free(self, quantity: int) -> Stock:
        if quantity > self.reserved:
            raise StockInvariantError(f"product {self.product_id}: free {quantity} of {self.reserved} held")
        return self._changed(self.on_hand, self.reserved - quantity)

    def take(self, quantity: int) -> Stock:
        if quantity > self.reserved:
            raise StockInvariantError(f"product {self.product_id}: take {quantity} of {self.reserved} held")
        return self._changed(self.on_hand - quantity, self.reserved - quantity)

    def receive(self, quantity: int, *, restocked_at: datetime | None = None) -> Stock:
        if quantity <= 0:
            raise StockInvariantError(f"product {self.product_id}: receive {quantity} units")
        changed = self._changed(self.on_hand + quantity, self.reserved)
        return replace(changed, last_restock_at=restocked_at) if restocked_at is not None else changed

    def _changed(self, on_hand: int, reserved: int) -> Stock:
        return replace(self, on_hand=on_hand, reserved=reserved, version=self.version + 1)


@dataclass(frozen=True, slots=True, order=True)
class Line:
    """A quantity of one product."""

    product_id: UUID
    quantity: int


def merge_lines(lines: Iterable[Line]) -> tuple[Line, ...]:
    """One line per product (quantities added), sorted by product id.

    The sort is the lock order: every change touching several products updates them in this order, so two
    transactions on PostgreSQL cannot wait for each other's rows (no deadlock).
    """
    totals: dict[UUID, int] = {}
    for line in lines:
        totals[line.product_id] = totals.get(line.product_id, 0) + line.quantity
    return tuple(Line(product_id, quantity) for product_id, quantity in sorted(totals.items()))


class ShortageReason(enum.StrEnum):
    """The contract's `ReservationFailureReason`."""

    INSUFFICIENT_STOCK = "insufficient_stock"
    UNKNOWN_PRODUCT = "unknown_product"


@dataclass(frozen=True, slots=True)
class Unavailable:
    product_id: UUID
    requested: int
    available: int


@dataclass(frozen=True, slots=True)
class Shortage:
    """Why a reservation cannot be held: every line that cannot be served, and the main reason."""

    reason: ShortageReason
    items: tuple[Unavailable, ...]


def shortage(lines: Iterable[Line], stock: Mapping[UUID, Stock]) -> Shortage | None:
    """None when every line can be held at once; otherwise each line that cannot be.

    An unknown product (never listed) makes the reason `unknown_product`, which the order saga reports
    differently from a sold-out one; it is listed with 0 available beside any line short of stock.
    """
    missing: list[Unavailable] = []
    unknown = False
    for line in lines:
        record = stock.get(line.product_id)
        if record is None:
            unknown = True
            missing.append(Unavailable(line.product_id, line.quantity, 0))
        elif record.available < line.quantity:
            missing.append(Unavailable(line.product_id, line.quantity, record.available))
    if not missing:
        return None
    reason = ShortageReason.UNKNOWN_PRODUCT if unknown else ShortageReason.INSUFFICIENT_STOCK
    return Shortage(reason, tuple(missing))
