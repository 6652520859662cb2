"""Customers as the user service keeps them: who may order, and how they pay, masked.

The user service never stores card numbers, CVVs, IBANs or full phone numbers: a payment method is kept as
its type, a display label ("Visa ···· 4242"), the card's expiry and whether the customer made it the
default. A card is `expired` from the first day of the month after its expiry month.

Validation rule: a customer may order unless unknown (never registered) or blocked.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Literal
from uuid import UUID

__all__ = [
    "Customer",
    "Rejection",
    "SavedMethod",
    "card_label",
    "default_method",
    "first_name",
    "masked_label",
    "method_status",
    "paypal_label",
    "validate_customer",
]

MASK = "····"
LABEL_MAX = 60
_BRANDS = {"visa": "Visa", "mastercard": "Mastercard", "amex": "American Express"}


@dataclass(frozen=True, slots=True)
class Customer:
    """What the read models need of a registered customer (no email, phone or address: not needed)."""

    user_id: UUID
    first_name: str
    preferred_language: str
    registered_at: datetime


@dataclass(frozen=True, slots=True)
class SavedMethod:
    """A payment method as stored: masked, never the card number, CVV, IBAN or phone number."""

    payment_method_id: UUID
    user_id: UUID
    kind: str
    label: str
    expiry_month: int | None
    expiry_year: int | None
    is_default: bool
    added_at: datetime


class Rejection(StrEnum):
    UNKNOWN_CUSTOMER = "unknown_customer"
    BLOCKED = "blocked"


def first_name(full_name: str) -> str:
    """The name the chat greets with: the first word of the full name."""
    words = full_name.split()
    return (words[0] if words else full_name.strip())[:LABEL_MAX] or "?"


def card_label(brand: str, last4: str) -> str:
    return f"{_BRANDS.get(brand, brand.title())} {MASK} {last4}"[:LABEL_MAX]


def masked_label(name: str, secret: str) -> str:
    """`Bizum ···· 2233` from a phone number, `Transferencia ···· 1332` from an IBAN: the last four only."""
    return f"{name} {MASK} {secret[-4:]}"[:LABEL_MAX]


def paypal_label(email: str) -> str:
    """`PayPal m···@example.es`: enough to recognise the account, not enough to write to it."""
    local, _, domain = email.partition("@")
    return f"PayPal {local[:1]}···@{domain}"[:LABEL_MAX]


def method_status(
    expiry_month: int | None, expiry_year: int | None, today: date
) -> Literal["active", "expired"]:
    if expiry_month is None or expiry_year is None:
        return "active"
    return "expired" if (expiry_year, expiry_month) < (today.year, today.month) else "active"


def default_method(methods: Sequence[SavedMethod]) -> UUID | None:
    """The latest method saved as default; without one, the first method saved; None without methods."""
    defaults = [m for m in methods if m.is_default]
    if defaults:
        return max(defaults, key=lambda m: (m.added_at, str(m.payment_method_id))).payment_method_id
    if methods:
        return min(methods, key=lambda m: (m.added_at, str(m.payment_method_id))).payment_method_id
    return None


def validate_customer(*, known: bool, blocked: bool) -> Rejection | None:
    """Why the customer may not order, or None when they may."""
    if not known:
        return Rejection.UNKNOWN_CUSTOMER
    if blocked:
        return Rejection.BLOCKED
    return None
