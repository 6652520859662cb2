"""How a captured payment is shared: artisans, the platform's commission and delivery.

Rules:
- each artisan gets what it sold in the order (its line amount, after discounts) minus the platform's
  commission of 8 %, rounded half-up to the cent per artisan;
- the platform gets the sum of the commissions; delivery gets the delivery cost;
- the shares sum exactly to the payment's total: the commissions are what the artisans do not get, so
  there is no rounding left over. A request whose lines and delivery do not add up to its total cannot be
  split without inventing or losing money, and is refused (`SplitError`);
- each share's percentage is its amount over the total, x 100, rounded half-up to 2 decimals (display
  only: percentages may sum to 99.99 or 100.01, amounts never miss a cent);
- shares of 0.00 are left out (free delivery has no delivery share); lines of the same artisan are merged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

__all__ = ["COMMISSION_RATE", "DELIVERY", "PLATFORM", "Share", "SplitError", "check_adds_up", "split_payment"]

COMMISSION_RATE = Decimal("0.08")
PLATFORM = "a4co-platform"
DELIVERY = "a4co-delivery"
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class SplitError(ValueError):
    """The amounts cannot be shared exactly (they do not add up, or one is negative)."""


@dataclass(frozen=True, slots=True)
class Share:
    recipient_id: str
    recipient_type: str
    """artisan | platform | delivery"""
    amount: Decimal
    percentage: Decimal


def commission(amount: Decimal) -> Decimal:
    return (amount * COMMISSION_RATE).quantize(CENT, rounding=ROUND_HALF_UP)


def check_adds_up(total: Decimal, lines: Iterable[tuple[UUID, Decimal]], delivery_cost: Decimal) -> None:
    """Raise SplitError unless the lines and delivery are non-negative cents summing to a positive total."""
    amounts = [amount for _, amount in lines]
    if total <= ZERO:
        raise SplitError(f"the total {total} is not positive")
    for amount in [*amounts, delivery_cost]:
        if amount < ZERO or amount != amount.quantize(CENT):
            raise SplitError(f"{amount} is not an amount of whole cents of at least 0")
    if sum(amounts, ZERO) + delivery_cost != total:
        raise SplitError(
            f"the lines ({sum(amounts, ZERO)}) and delivery ({delivery_cost}) do not add up to {total}"
        )


def split_payment(
    total: Decimal, lines: Iterable[tuple[UUID, Decimal]], delivery_cost: Decimal
) -> tuple[Share, ...]:
    """The shares of `total`: one per artisan, then the platform, then delivery."""
    lines = list(lines)
    check_adds_up(total, lines, delivery_cost)
    per_artisan: dict[UUID, Decimal] = {}
    for artisan_id, amount in lines:
        per_artisan[artisan_id] = per_artisan.get(artisan_id, ZERO) + amount
    parts: list[tuple[str, str, Decimal]] = []
    commissions = ZERO
    for artisan_id, amount in per_artisan.items():
        fee = commission(amount)
        commissions += fee
        parts.append((str(artisan_id), "artisan", amount - fee))
    parts.append((PLATFORM, "platform", commissions))
    parts.append((DELIVERY, "delivery", delivery_cost))
    return tuple(
        Share(recipient, kind, amount, (amount * 100 / total).quantize(CENT, rounding=ROUND_HALF_UP))
        for recipient, kind, amount in parts
        if amount > ZERO
    )
