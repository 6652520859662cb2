"""Can this method pay this amount for this customer? The answer to `payment.method.validation.requested`.

Checks, in order (the first that fails is the rejection):
1. the vault knows the method (`unknown_method`) and it belongs to the customer (`not_owned_by_customer`);
2. the customer's payment profile from the user service: unreachable (`profile_unavailable`, so the saga
   compensates instead of waiting), unknown customer or a method the profile does not list
   (`not_owned_by_customer`), a blocked customer (`blocked`), a method the profile marks expired
   (`expired`);
3. the method itself: a card past its expiry month, or the test card 4000000000000069 (`expired`);
4. risk (`risk_too_high` from a score of 80): the test card 4100000000000019 scores 95; otherwise a base
   per kind of method, plus order velocity (orders of the customer in the last hour beyond 2: +15 each;
   in the last day beyond 5: +5 each), plus +10 from 500 € and +10 more from 1000 €;
5. credit (`insufficient_credit`): the simulated issuer gives every card 3000 € of credit, Bizum allows
   1000 € per payment (its real limit); PayPal and transfers report no limit.

`requires3DS`: cards from 30 € (the PSD2 low-value exemption ends there) or with a risk score from 50.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from uuid import UUID

from services.payment.domain.methods import StoredMethod
from services.payment.domain.processor import CARD_EXPIRED, CARD_RISKY

__all__ = [
    "CARD_CREDIT",
    "RISK_LIMIT",
    "Assessment",
    "Profile",
    "ProfileMethod",
    "ProfileProblem",
    "Velocity",
    "assess",
    "risk_score",
]

RISK_LIMIT = 80
RISKY_CARD_SCORE = 95
CARD_CREDIT = Decimal("3000.00")
BIZUM_LIMIT = Decimal("1000.00")
THREE_DS_FROM = Decimal("30.00")
_BASE_RISK = {"card": 10, "bizum": 5, "paypal": 8, "transfer": 2}


class ProfileProblem(Enum):
    """Why there is no profile to check against."""

    UNAVAILABLE = "unavailable"
    """The user service did not answer in time, failed, or its circuit is open."""
    UNKNOWN_CUSTOMER = "unknown_customer"
    """The user service does not know the customer (404)."""


@dataclass(frozen=True, slots=True)
class ProfileMethod:
    payment_method_id: UUID
    type: str
    expired: bool


@dataclass(frozen=True, slots=True)
class Profile:
    """What the user service says about a customer's ability to pay."""

    blocked: bool
    methods: Mapping[UUID, ProfileMethod] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Velocity:
    """Orders the customer placed recently (from `order.created.v1`), the current one included."""

    last_hour: int = 0
    last_day: int = 0


@dataclass(frozen=True, slots=True)
class Assessment:
    valid: bool
    method_type: str
    rejection: str | None = None
    """A PaymentMethodRejection value when not valid."""
    available_credit: Decimal | None = None
    requires_3ds: bool | None = None
    risk_score: int | None = None


def risk_score(method_type: str, amount: Decimal, velocity: Velocity) -> int:
    score = _BASE_RISK.get(method_type, 10)
    score += 15 * max(0, velocity.last_hour - 2) + 5 * max(0, velocity.last_day - 5)
    if amount >= Decimal(500):
        score += 10
    if amount >= Decimal(1000):
        score += 10
    return min(score, 100)


def _rejected(
    kind: str,
    rejection: str,
    credit: Decimal | None = None,
    requires_3ds: bool | None = None,
    score: int | None = None,
) -> Assessment:
    return Assessment(
        valid=False,
        method_type=kind,
        rejection=rejection,
        available_credit=credit,
        requires_3ds=requires_3ds,
        risk_score=score,
    )


def _credit(method: StoredMethod) -> Decimal | None:
    return {"card": CARD_CREDIT, "bizum": BIZUM_LIMIT}.get(method.type)


def assess(
    *,
    payment_method_id: UUID,
    customer_id: UUID,
    method: StoredMethod | None,
    profile: Profile | ProfileProblem,
    amount: Decimal,
    velocity: Velocity,
    today: date,
) -> Assessment:
    """The validation's answer; pure, so every rule is tested without servers."""
    listed = profile.methods.get(payment_method_id) if isinstance(profile, Profile) else None
    if method is None:
        # The contract's answer needs a type even for a method nobody knows: the profile's, else card.
        return _rejected(listed.type if listed else "card", "unknown_method")
    kind = method.type
    if method.owner_id != customer_id:
        return _rejected(kind, "not_owned_by_customer")
    if profile is ProfileProblem.UNAVAILABLE:
        return _rejected(kind, "profile_unavailable")
    if profile is ProfileProblem.UNKNOWN_CUSTOMER or listed is None:
        return _rejected(kind, "not_owned_by_customer")
    assert isinstance(profile, Profile)
    if profile.blocked:
        return _rejected(kind, "blocked")
    if listed.expired or method.card_number == CARD_EXPIRED or method.expired(today):
        return _rejected(kind, "expired")
    credit = _credit(method)
    score = RISKY_CARD_SCORE if method.card_number == CARD_RISKY else risk_score(kind, amount, velocity)
    requires_3ds = kind == "card" and (amount >= THREE_DS_FROM or score >= 50)
    if score >= RISK_LIMIT:
        return _rejected(kind, "risk_too_high", credit, requires_3ds, score)
    if credit is not None and amount > credit:
        return _rejected(kind, "insufficient_credit", credit, requires_3ds, score)
    return Assessment(
        valid=True, method_type=kind, available_credit=credit, requires_3ds=requires_3ds, risk_score=score
    )
