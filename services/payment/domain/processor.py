"""The simulated payment processor's answers, deterministic by method (docs/decisions/009).

The marketplace has no real acquirer; tests, the demo and people trying it must be able to reach every
saga path on purpose, so the answer depends only on the method's data and the attempt number:

| method | answer |
|---|---|
| card 4000000000000002 | declined |
| card 4000000000009995 | insufficient_funds |
| card 4000000000000259 | never answers (the payment stays processing) |
| card 4000000000000341 | processor error on attempts 1 and 2, captured on the 3rd |
| card 4000000000000069, or any card past its expiry month | expired_method |
| card 4100000000000019 | fraud_suspected (validation already refuses it: risk 95) |
| any other card with a valid Luhn digit | captured; an invalid one is declined |
| Bizum +34600000002 / +34600000003 | declined / insufficient_funds; any other mobile captured |
| PayPal email whose local part ends in `+decline` | declined; any other captured |
| bank transfer | captured |

A capture's reference is derived from the payment id, so asking again for the same payment (after a
crash, or a second process racing) yields the same reference: the processor is idempotent by payment id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from services.payment.domain.methods import StoredMethod, luhn_valid

__all__ = [
    "BIZUM_DECLINED",
    "BIZUM_INSUFFICIENT_FUNDS",
    "CARD_DECLINED",
    "CARD_ERRORS_TWICE",
    "CARD_EXPIRED",
    "CARD_INSUFFICIENT_FUNDS",
    "CARD_NEVER_ANSWERS",
    "CARD_RISKY",
    "Captured",
    "Declined",
    "NoAnswer",
    "ProcessorError",
    "ProcessorOutcome",
    "processor_id",
    "simulate",
]

CARD_DECLINED = "4000000000000002"
CARD_INSUFFICIENT_FUNDS = "4000000000009995"
CARD_EXPIRED = "4000000000000069"
CARD_RISKY = "4100000000000019"
CARD_NEVER_ANSWERS = "4000000000000259"
CARD_ERRORS_TWICE = "4000000000000341"
BIZUM_DECLINED = "+34600000002"
BIZUM_INSUFFICIENT_FUNDS = "+34600000003"
ERRORS_BEFORE_CAPTURE = 2


@dataclass(frozen=True, slots=True)
class Captured:
    reference: str


@dataclass(frozen=True, slots=True)
class Declined:
    reason: str
    """A PaymentFailureReason value."""


@dataclass(frozen=True, slots=True)
class ProcessorError:
    """The processor answered that it failed: nothing was charged, the same payment may be tried again."""

    detail: str


@dataclass(frozen=True, slots=True)
class NoAnswer:
    """No answer in time: the charge may or may not have happened, so the payment stays in doubt."""


ProcessorOutcome = Captured | Declined | ProcessorError | NoAnswer


def processor_id(method_type: str) -> str:
    """The (simulated) acquirer each kind of method goes through."""
    return f"a4co-sim-{method_type}"


def reference_for(payment_id: UUID) -> str:
    return "sim_" + uuid.uuid5(payment_id, "capture").hex[:24]


def simulate(payment_id: UUID, method: StoredMethod, attempt: int, today: date) -> ProcessorOutcome:
    """What the simulated processor answers to attempt number `attempt` (from 1) to charge `method`."""
    if method.type == "card":
        number = method.card_number or ""
        if number == CARD_EXPIRED or method.expired(today):
            return Declined("expired_method")
        if number == CARD_RISKY:
            return Declined("fraud_suspected")
        if number == CARD_DECLINED or not luhn_valid(number):
            return Declined("declined")
        if number == CARD_INSUFFICIENT_FUNDS:
            return Declined("insufficient_funds")
        if number == CARD_NEVER_ANSWERS:
            return NoAnswer()
        if number == CARD_ERRORS_TWICE and attempt <= ERRORS_BEFORE_CAPTURE:
            return ProcessorError(f"acquirer unavailable (attempt {attempt})")
    elif method.type == "bizum":
        if method.phone_number == BIZUM_DECLINED:
            return Declined("declined")
        if method.phone_number == BIZUM_INSUFFICIENT_FUNDS:
            return Declined("insufficient_funds")
    elif method.type == "paypal":
        local = (method.email or "").rsplit("@", 1)[0]
        if local.endswith("+decline"):
            return Declined("declined")
    return Captured(reference_for(payment_id))
