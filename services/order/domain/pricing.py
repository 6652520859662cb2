"""Pricing of an order: catalogue prices, segment discounts and delivery cost by postal code.

Pure functions over Decimal euros. Rules (documented for customers and tested):
- Lines are priced at the catalogue price. If the catalogue price differs from the price the customer
  saw (the command's unitPrice), the order is not charged a different amount silently: pricing fails with
  `price_changed` and the saga compensates.
- Segment discounts: `repeat-buyer` 5 % on ceramics, textiles, wood and leather; `olive-oil-lover` 10 % on
  olive oil from the second bottle of the same product. Discounts are rounded down to the cent per line.
- Delivery by postal code (first two digits = province): Jaén (23) 3.95 €; rest of Andalucía (04, 11, 14,
  18, 21, 29, 41) 4.65 €; rest of the peninsula 6.95 €; free from 60 € of items after discount. The Balearic
  and Canary Islands, Ceuta and Melilla (07, 35, 38, 51, 52) are not served: `address_not_deliverable`.
"""

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

__all__ = ["DELIVERY_FREE_FROM", "PricedLine", "Pricing", "PricingRejected", "delivery_cost", "price_order"]

CENT = Decimal("0.01")
DELIVERY_FREE_FROM = Decimal("60.00")
_JAEN = {"23"}
_ANDALUSIA = {"04", "11", "14", "18", "21", "29", "41"}
_NOT_SERVED = {"07", "35", "38", "51", "52"}
_CRAFT_CATEGORIES = {"ceramics", "textiles", "wood", "leather"}


class PricingRejected(Exception):  # noqa: N818 - a domain outcome, named as such
    """The order cannot be priced; `reason` is a CancellationReason value."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class PricedLine:
    product_id: str
    artisan_id: str | None
    category: str | None
    quantity: int
    unit_price: Decimal
    catalogue_price: Decimal | None
    """None when the catalogue does not know the product (inventory will refuse it)."""


@dataclass(frozen=True, slots=True)
class Pricing:
    subtotal: Decimal
    discount: Decimal
    delivery_cost: Decimal
    total: Decimal
    per_artisan: dict[str, Decimal]
    """What each artisan sells, after discounts (the payment split's basis)."""


def delivery_cost(postal_code: str, items_after_discount: Decimal) -> Decimal:
    province = postal_code[:2]
    if province in _NOT_SERVED:
        raise PricingRejected("address_not_deliverable", f"we do not deliver to postal code {postal_code}")
    if items_after_discount >= DELIVERY_FREE_FROM:
        return Decimal("0.00")
    if province in _JAEN:
        return Decimal("3.95")
    if province in _ANDALUSIA:
        return Decimal("4.65")
    return Decimal("6.95")


def _line_discount(line: PricedLine, segments: frozenset[str]) -> Decimal:
    gross = line.unit_price * line.quantity
    if "repeat-buyer" in segments and line.category in _CRAFT_CATEGORIES:
        return (gross * Decimal("0.05")).quantize(CENT, rounding=ROUND_DOWN)
    if "olive-oil-lover" in segments and line.category == "olive-oil" and line.quantity > 1:
        return (line.unit_price * (line.quantity - 1) * Decimal("0.10")).quantize(CENT, rounding=ROUND_DOWN)
    return Decimal("0.00")


def price_order(lines: list[PricedLine], *, segments: frozenset[str], postal_code: str) -> Pricing:
    for line in lines:
        if line.catalogue_price is not None and line.catalogue_price != line.unit_price:
            raise PricingRejected(
                "price_changed",
                f"product {line.product_id} now costs {line.catalogue_price} €, not {line.unit_price} €",
            )
    subtotal = sum((line.unit_price * line.quantity for line in lines), Decimal("0.00"))
    per_artisan: dict[str, Decimal] = {}
    discount = Decimal("0.00")
    for line in lines:
        line_discount = _line_discount(line, segments)
        discount += line_discount
        net = line.unit_price * line.quantity - line_discount
        key = line.artisan_id or "unknown"
        per_artisan[key] = per_artisan.get(key, Decimal("0.00")) + net
    items = subtotal - discount
    delivery = delivery_cost(postal_code, items)
    total = (items + delivery).quantize(CENT, rounding=ROUND_HALF_UP)
    return Pricing(
        subtotal=subtotal.quantize(CENT),
        discount=discount.quantize(CENT),
        delivery_cost=delivery,
        total=total,
        per_artisan={k: v.quantize(CENT) for k, v in sorted(per_artisan.items())},
    )
