"""Customer segments, from storefront behaviour and loyalty.

The rules (every one is monotonic: signals only accumulate, so a customer enters segments and stays):

| segment           | holds when                                                                     |
|-------------------|--------------------------------------------------------------------------------|
| `olive-oil-lover` | at least 2 olive-oil interactions: a product view, search, cart addition or    |
|                   | purchase whose category filter is `olive-oil`, or whose page or search speaks   |
|                   | of olive oil (olive, oliva, aceite, aove, picual, hojiblanca, arbequina)        |
| `repeat-buyer`    | at least 2 confirmed orders (each `loyalty.points.earned` is one confirmed order)|
| `vip`             | the loyalty tier is gold                                                        |

Every signal counts once: behaviour by its tracking id, orders by their order id. The behaviour event
carries no product category (the user service does not follow the catalogue), so interest is read from
what the storefront tells: the category filter, the page and the search. Pricing gives segment discounts
(`CustomerValidated.segments`); analytics follows `user.segment.changed`.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

__all__ = [
    "OLIVE_OIL_LOVER",
    "REPEAT_BUYER",
    "SEGMENTS",
    "VIP",
    "Segmentation",
    "SegmentsChanged",
    "Trigger",
    "shows_olive_oil_interest",
]

OLIVE_OIL_LOVER = "olive-oil-lover"
REPEAT_BUYER = "repeat-buyer"
VIP = "vip"
SEGMENTS = (OLIVE_OIL_LOVER, REPEAT_BUYER, VIP)
"""Every segment, in the order they are listed."""

OLIVE_OIL_INTERACTIONS = 2
REPEAT_ORDERS = 2
VIP_TIER = "gold"
INTEREST_ACTIONS = frozenset({"product_view", "search", "add_to_cart", "purchase"})
OLIVE_OIL_CATEGORY = "olive-oil"
_OLIVE_OIL_WORDS = ("olive", "oliva", "aceite", "aove", "picual", "hojiblanca", "arbequina")
_TIER_RANK = {"basic": 0, "silver": 1, "gold": 2}


def _mentions_olive_oil(text: str | None) -> bool:
    lowered = (text or "").lower()
    return any(word in lowered for word in _OLIVE_OIL_WORDS)


def _category_filter(filters: Mapping[str, Any] | None) -> bool:
    category = (filters or {}).get("category")
    if isinstance(category, str):
        return category == OLIVE_OIL_CATEGORY
    if isinstance(category, list):
        return OLIVE_OIL_CATEGORY in category
    return False


def shows_olive_oil_interest(
    action: str, *, page: str | None, search_query: str | None, filters: Mapping[str, Any] | None
) -> bool:
    """Whether a tracked action counts towards `olive-oil-lover`."""
    if action not in INTEREST_ACTIONS:
        return False
    return _category_filter(filters) or _mentions_olive_oil(page) or _mentions_olive_oil(search_query)


@dataclass(frozen=True, slots=True)
class Trigger:
    """A rule that moved the customer into (or out of) a segment, and the value that fired it."""

    rule: str
    value: Any


@dataclass(frozen=True, slots=True)
class SegmentsChanged:
    user_id: UUID
    previous: tuple[str, ...]
    current: tuple[str, ...]
    triggers: tuple[Trigger, ...]
    at: datetime


@dataclass
class Segmentation:
    """The signals of one customer and the segments they put the customer in."""

    user_id: UUID
    olive_oil_interactions: int = 0
    confirmed_orders: int = 0
    balance: int = 0
    tier: str | None = None
    last_order_at: datetime | None = None
    segments: tuple[str, ...] = ()
    changes: list[SegmentsChanged] = field(default_factory=list, compare=False)

    def record_olive_oil_interest(self, *, now: datetime) -> None:
        self.olive_oil_interactions += 1
        self._reassess(now)

    def record_confirmed_order(self, *, balance: int, tier: str, ordered_at: datetime, now: datetime) -> None:
        """One confirmed order's points. The tier follows the highest balance seen, so late or reordered
        events never lower it."""
        self.confirmed_orders += 1
        if balance >= self.balance:
            self.balance = balance
            self.tier = tier if _TIER_RANK.get(tier, -1) >= _TIER_RANK.get(self.tier or "", -1) else self.tier
        if self.last_order_at is None or ordered_at > self.last_order_at:
            self.last_order_at = ordered_at
        self._reassess(now)

    def _rules(self) -> dict[str, Trigger]:
        """Each segment with the rule deciding it and the value it has now."""
        return {
            OLIVE_OIL_LOVER: Trigger(
                f"olive-oil interactions >= {OLIVE_OIL_INTERACTIONS}", self.olive_oil_interactions
            ),
            REPEAT_BUYER: Trigger(f"confirmed orders >= {REPEAT_ORDERS}", self.confirmed_orders),
            VIP: Trigger(f"loyalty tier = {VIP_TIER}", self.tier),
        }

    def _holds(self) -> set[str]:
        held = set()
        if self.olive_oil_interactions >= OLIVE_OIL_INTERACTIONS:
            held.add(OLIVE_OIL_LOVER)
        if self.confirmed_orders >= REPEAT_ORDERS:
            held.add(REPEAT_BUYER)
        if self.tier == VIP_TIER:
            held.add(VIP)
        return held

    def _reassess(self, now: datetime) -> None:
        held = self._holds()
        current = tuple(s for s in SEGMENTS if s in held)
        if current == self.segments:
            return
        rules = self._rules()
        moved = sorted(set(current) ^ set(self.segments), key=SEGMENTS.index)
        triggers = tuple(
            Trigger(f"{segment}: {rules[segment].rule}", rules[segment].value) for segment in moved
        )
        self.changes.append(SegmentsChanged(self.user_id, self.segments, current, triggers, now))
        self.segments = current

    def collect(self) -> list[SegmentsChanged]:
        """The changes since the last collect (the handler publishes them)."""
        changes, self.changes = self.changes, []
        return changes
