"""Events of the Payment aggregate, in the past tense: a payment's history, stored in ES_PAYMENTS.

Events carry no card or account data: a method appears by id, kind and masked label only. The card
number reaches the processor from the vault and leaves the service encrypted in
`payment.processing.started.v1` (the contract's message), never in the event store's events.

Each event has a schema `version`; `encode`/`decode` turn it into the stored `DomainEvent` data (JSON,
camelCase-free snake_case keys, decimals as strings) and back. An older version is raised by the
repository's upcasters before `decode` sees it (`UPCASTERS`, empty while every event is at version 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

from pydantic import TypeAdapter

from services.platform.eventstore import DomainEvent, Upcasters

__all__ = [
    "EVENT_TYPES",
    "UPCASTERS",
    "ArtisanLine",
    "Event",
    "NothingRefunded",
    "PaymentCaptured",
    "PaymentFailed",
    "PaymentRefunded",
    "PaymentRequested",
    "PaymentSplit",
    "PaymentVoided",
    "ProcessingStarted",
    "ProcessorErrored",
    "RefundedBeforeRequest",
    "SplitShare",
    "decode",
    "encode",
]


@dataclass(frozen=True, slots=True)
class ArtisanLine:
    artisan_id: UUID
    amount: Decimal


@dataclass(frozen=True, slots=True)
class SplitShare:
    recipient_id: str
    recipient_type: str
    amount: Decimal
    percentage: Decimal


@dataclass(frozen=True, kw_only=True)
class Event:
    version: ClassVar[int] = 1
    at: datetime


@dataclass(frozen=True, kw_only=True)
class PaymentRequested(Event):
    """The saga asked to charge an order; what it asked is kept for the split and every answer."""

    order_id: UUID
    customer_id: UUID
    payment_method_id: UUID
    amount: Decimal
    currency: str
    lines: tuple[ArtisanLine, ...]
    delivery_cost: Decimal
    correlation_id: UUID
    """The saga's flow: messages sent later (a retry's capture) still belong to it."""


@dataclass(frozen=True, kw_only=True)
class ProcessingStarted(Event):
    """The charge went to the processor (attempt 1); `answer_by`: when to ask again if it has not answered."""

    processor_id: str
    method_type: str
    method_label: str
    answer_by: datetime


@dataclass(frozen=True, kw_only=True)
class ProcessorErrored(Event):
    """The processor answered attempt `attempt` with an error: nothing charged, try again at `retry_at`."""

    attempt: int
    detail: str
    retry_at: datetime


@dataclass(frozen=True, kw_only=True)
class PaymentCaptured(Event):
    attempt: int
    reference: str
    after_void: bool = False
    """The processor captured a payment already voided: the money goes back at once (PaymentRefunded)."""


@dataclass(frozen=True, kw_only=True)
class PaymentSplit(Event):
    split_id: UUID
    shares: tuple[SplitShare, ...]


@dataclass(frozen=True, kw_only=True)
class PaymentFailed(Event):
    reason: str
    """A PaymentFailureReason value."""
    detail: str


@dataclass(frozen=True, kw_only=True)
class PaymentVoided(Event):
    """A refund was asked for while the payment was still processing: the charge is cancelled."""

    refund_id: UUID
    reason: str


@dataclass(frozen=True, kw_only=True)
class PaymentRefunded(Event):
    """Money went back: all that was left of the capture, or part of it."""

    refund_id: UUID
    amount: Decimal
    reason: str


@dataclass(frozen=True, kw_only=True)
class NothingRefunded(Event):
    """A refund request found nothing to give back (failed, voided or already refunded payment)."""

    refund_id: UUID
    reason: str


@dataclass(frozen=True, kw_only=True)
class RefundedBeforeRequest(Event):
    """A refund arrived for a payment never requested: this tombstone refuses the late request."""

    order_id: UUID
    refund_id: UUID
    reason: str


EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        PaymentRequested,
        ProcessingStarted,
        ProcessorErrored,
        PaymentCaptured,
        PaymentSplit,
        PaymentFailed,
        PaymentVoided,
        PaymentRefunded,
        NothingRefunded,
        RefundedBeforeRequest,
    )
}

UPCASTERS: Upcasters = {}
"""(event type, version) -> upcaster to the next version; none yet, every event is at version 1."""

_ADAPTERS: dict[type[Event], TypeAdapter[Any]] = {cls: TypeAdapter(cls) for cls in EVENT_TYPES.values()}


def encode(event: Event) -> dict[str, Any]:
    """The stored data of an event (its time is the stored event's `occurredAt`)."""
    data: dict[str, Any] = _ADAPTERS[type(event)].dump_python(event, mode="json")
    data.pop("at", None)
    return data


def decode(stored: DomainEvent) -> Event:
    """The typed event of stored data; KeyError for a type this code does not know."""
    cls = EVENT_TYPES[stored.type]
    event: Event = _ADAPTERS[cls].validate_python({**stored.data, "at": stored.occurred_at})
    return event
