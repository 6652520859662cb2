"""Events of the order aggregate, in the past tense. They are the order's history and its saga's state.

Each event carries a schema `version`; stored events of an older version are upcast on load
(`services.order.adapters.upcasting`). Events are what was decided; the messages other services receive
are derived from them (`services.order.application.outgoing`).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

__all__ = [
    "AvailabilityShortfall",
    "CompensationCompleted",
    "CompensationStarted",
    "CustomerChecked",
    "DeliveryScheduled",
    "Event",
    "ItemsModified",
    "Line",
    "NotificationsConfirmed",
    "OrderConfirmed",
    "OrderPlaced",
    "OrderPriced",
    "PaymentFailed",
    "PaymentMethodChecked",
    "PaymentRefunded",
    "PaymentRequested",
    "PaymentSucceeded",
    "RefundRequested",
    "ReservationCommitted",
    "ReservationConfirmed",
    "ReservationRejected",
    "ReservationReleased",
    "ReservationsCommitRequested",
    "ReservationsReleaseRequested",
    "ReservationsRequested",
    "StateChanged",
    "StepDeadlinePassed",
    "StepSkipped",
    "StepStarted",
]


@dataclass(frozen=True, slots=True)
class Line:
    """A line of an order, enriched from the catalogue."""

    product_id: UUID
    quantity: int
    unit_price: Decimal
    artisan_id: UUID | None = None
    product_name: str | None = None
    category: str | None = None


@dataclass(frozen=True, kw_only=True)
class Event:
    version: ClassVar[int] = 1
    at: datetime


@dataclass(frozen=True, kw_only=True)
class OrderPlaced(Event):
    order_id: UUID
    customer_id: UUID
    lines: tuple[Line, ...]
    delivery_address: dict[str, object]
    """The contract's Address as received: passed on; only its postal code is read here."""
    payment_method_id: UUID
    device: str
    session_id: str
    correlation_id: UUID


@dataclass(frozen=True, kw_only=True)
class StateChanged(Event):
    previous: str
    current: str
    reason: str
    changed_by: str


@dataclass(frozen=True, kw_only=True)
class StepStarted(Event):
    step: str
    deadline: datetime | None
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class StepSkipped(Event):
    step: str
    detail: str


@dataclass(frozen=True, kw_only=True)
class StepDeadlinePassed(Event):
    step: str
    attempt: int
    """How many times the step's request has now been sent."""
    next_deadline: datetime | None
    """Set when the request is sent again (post-pivot steps and compensations are retried, not failed)."""


@dataclass(frozen=True, kw_only=True)
class CustomerChecked(Event):
    valid: bool
    segments: tuple[str, ...]
    rejection: str | None = None


@dataclass(frozen=True, kw_only=True)
class AvailabilityShortfall(Event):
    """The synchronous availability check found products without enough stock; nothing was reserved."""

    product_ids: tuple[UUID, ...]


@dataclass(frozen=True, kw_only=True)
class ReservationsRequested(Event):
    reservations: tuple[tuple[UUID, UUID], ...]
    """(reservation id, product id) per line."""
    expires_at: datetime


@dataclass(frozen=True, kw_only=True)
class ReservationConfirmed(Event):
    reservation_id: UUID


@dataclass(frozen=True, kw_only=True)
class ReservationRejected(Event):
    reservation_id: UUID
    reason: str
    """insufficient_stock | unknown_product | reservation_expired"""
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class OrderPriced(Event):
    subtotal: Decimal
    discount: Decimal
    delivery_cost: Decimal
    total: Decimal
    per_artisan: tuple[tuple[str, Decimal], ...]
    lines: tuple[Line, ...] = ()
    """The lines as priced, with artisan, name and category from the catalogue."""


@dataclass(frozen=True, kw_only=True)
class PaymentMethodChecked(Event):
    valid: bool
    method_type: str | None = None
    rejection: str | None = None


@dataclass(frozen=True, kw_only=True)
class PaymentRequested(Event):
    payment_id: UUID


@dataclass(frozen=True, kw_only=True)
class PaymentSucceeded(Event):
    reference: str


@dataclass(frozen=True, kw_only=True)
class PaymentFailed(Event):
    reason: str


@dataclass(frozen=True, kw_only=True)
class ReservationsCommitRequested(Event):
    reservation_ids: tuple[UUID, ...]


@dataclass(frozen=True, kw_only=True)
class ReservationCommitted(Event):
    reservation_id: UUID


@dataclass(frozen=True, kw_only=True)
class OrderConfirmed(Event):
    pass


@dataclass(frozen=True, kw_only=True)
class NotificationsConfirmed(Event):
    notification_id: UUID


@dataclass(frozen=True, kw_only=True)
class DeliveryScheduled(Event):
    delivery_id: UUID
    carrier: str
    tracking_code: str
    window_start: datetime
    window_end: datetime


@dataclass(frozen=True, kw_only=True)
class CompensationStarted(Event):
    reason: str
    """A CancellationReason value."""
    detail: str
    failed_step: str | None


@dataclass(frozen=True, kw_only=True)
class RefundRequested(Event):
    refund_id: UUID
    amount: Decimal | None = None
    """None = the whole payment."""


@dataclass(frozen=True, kw_only=True)
class PaymentRefunded(Event):
    refund_id: UUID
    amount: Decimal
    outcome: str


@dataclass(frozen=True, kw_only=True)
class ReservationsReleaseRequested(Event):
    reservation_ids: tuple[UUID, ...]


@dataclass(frozen=True, kw_only=True)
class ReservationReleased(Event):
    reservation_id: UUID


@dataclass(frozen=True, kw_only=True)
class CompensationCompleted(Event):
    pass


@dataclass(frozen=True, kw_only=True)
class ItemsModified(Event):
    lines: tuple[Line, ...]
    """The changed lines with their new quantity (0 = removed)."""
    previous: tuple[Line, ...]
    """The same lines as they were."""
    modified_by: str
    new_total: Decimal
    refund_id: UUID

    @property
    def quantities(self) -> dict[UUID, int]:
        return {line.product_id: line.quantity for line in self.lines}
