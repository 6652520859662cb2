"""Points for orders, the balance they add up to, and the tier the balance reaches.

Rules:
- An order is worth 1 point per whole euro of its `totalAmount` at creation (24.90 € → 24 points); the
  marketplace prices in euros only. Later item changes do not change the points.
- The points are pending until the order is confirmed, earned once when it is (or when it is seen in any
  later state: delivery_scheduled, shipped, delivered), and dropped when it is cancelled first. An order
  worth 0 points (under 1 €) earns nothing and announces nothing (`points` is at least 1 on the wire).
- Tiers by balance: basic < 500 ≤ silver < 2000 ≤ gold. Points never expire and are never taken back, so
  the balance and the tier only grow.

The order's events arrive on two consumers (creation and state changes), so either may come first: a
confirmation or cancellation of an order not seen yet is remembered and settles the order when its
creation arrives.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from uuid import UUID

__all__ = ["Account", "OrderPoints", "PointsEarned", "Status", "points_for", "settles", "tier_for"]

SILVER_FROM = 500
GOLD_FROM = 2000
CONFIRMED_STATES = frozenset({"confirmed", "delivery_scheduled", "shipped", "delivered"})
CANCELLED_STATE = "cancelled"


def points_for(total: Decimal) -> int:
    return int(total.quantize(Decimal(1), rounding=ROUND_DOWN)) if total > 0 else 0


def settles(state: str) -> bool:
    """Whether an order entering `state` earns or drops its points; other states change nothing."""
    return state in CONFIRMED_STATES or state == CANCELLED_STATE


def tier_for(balance: int) -> str:
    if balance >= GOLD_FROM:
        return "gold"
    if balance >= SILVER_FROM:
        return "silver"
    return "basic"


class Status(StrEnum):
    PENDING = "pending"
    """Created, not settled yet."""
    CONFIRMED_EARLY = "confirmed_early"
    """Confirmed before its creation arrived: earns as soon as it does."""
    EARNED = "earned"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class PointsEarned:
    customer_id: UUID
    order_id: UUID
    points: int
    balance: int
    tier: str
    at: datetime


@dataclass
class Account:
    customer_id: UUID
    balance: int = 0

    @property
    def tier(self) -> str:
        return tier_for(self.balance)

    def credit(self, points: int) -> None:
        self.balance += points


@dataclass
class OrderPoints:
    """The points of one order, from creation to earned or dropped."""

    order_id: UUID
    status: Status
    customer_id: UUID | None = None
    points: int = 0
    settled_at: datetime | None = None
    _due: bool = field(default=False, repr=False)

    @classmethod
    def created(cls, order_id: UUID, customer_id: UUID, total: Decimal) -> "OrderPoints":
        return cls(order_id, Status.PENDING, customer_id, points_for(total))

    @classmethod
    def unseen(cls, order_id: UUID) -> "OrderPoints":
        """An order whose creation has not arrived yet; `record_state` decides what it becomes."""
        return cls(order_id, Status.PENDING)

    def record_creation(self, customer_id: UUID, total: Decimal) -> None:
        """The creation of an order whose state change came first."""
        if self.customer_id is not None:
            return  # seen before: a duplicate creation changes nothing
        self.customer_id, self.points = customer_id, points_for(total)
        if self.status is Status.CONFIRMED_EARLY:
            self._due = True

    def record_state(self, state: str, *, now: datetime) -> None:
        if self.status in (Status.EARNED, Status.CANCELLED):
            return  # settled: points are earned once, and a cancelled order is never confirmed
        if state in CONFIRMED_STATES:
            if self.customer_id is None:
                self.status = Status.CONFIRMED_EARLY
            else:
                self._due = True
            self.settled_at = now
        elif state == CANCELLED_STATE:
            self.status, self.settled_at = Status.CANCELLED, now

    def earn(self, account: Account, *, now: datetime) -> PointsEarned | None:
        """Credit the account when the order became due; the event to announce, if any points."""
        if not self._due:
            return None
        self._due = False
        self.status = Status.EARNED
        self.settled_at = self.settled_at or now
        if self.points <= 0:
            return None
        account.credit(self.points)
        assert self.customer_id is not None
        return PointsEarned(self.customer_id, self.order_id, self.points, account.balance, account.tier, now)

    @property
    def due(self) -> bool:
        return self._due
