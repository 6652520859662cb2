"""Reservations: stock held for an order until it is committed, released or expires.

A reservation is all its lines or none of them. Its life, by status:

    (requested) -> held       every line was available: the units are held until `expires_at`
    (requested) -> failed     some line was not: nothing is held
    (requested) -> expired    it arrived after its own expiration time: nothing is held
    held        -> committed  the order saga confirmed the order: the units are sold
    held        -> released   the order saga compensated, or the order was cancelled
    held        -> expired    nobody committed it by `expires_at`: the units are free again
    committed   -> released   compensation after a partial commit: the sold units come back on hand
    (unknown)   -> released   a release that arrived before its reservation leaves a tombstone, so the
                              late request is answered `released` and holds nothing

The reservation id is the saga's business id, so every request is answered again, with the current
outcome, when it comes back with a new message id; none is ever applied twice.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from services.inventory.domain.replenishment import Workshop
from services.inventory.domain.stock import InventoryError, Line, Shortage

__all__ = [
    "PRIORITY_RANK",
    "Answer",
    "HeldLine",
    "Reservation",
    "ReservationConflictError",
    "ReservationStatus",
    "where_held",
]

# The order in which requests of one batch are served when they compete for the same units. Priority
# does not reach for stock held back for anyone: it only goes first.
PRIORITY_RANK = {"vip": 0, "high": 1, "normal": 2}

CENTRAL_WAREHOUSE = ("a4co-jaen", "Jaén · almacén A4CO")


def where_held(artisan_id: UUID, workshop: Workshop | None) -> tuple[str, str]:
    """(warehouse id, location) of a product's units: its artisan's workshop, or the central warehouse
    while the artisan's onboarding (which names the town) has not been seen."""
    if workshop is None:
        return CENTRAL_WAREHOUSE
    return f"taller-{artisan_id}", f"{workshop.town} · taller del artesano"[:120]


class ReservationStatus(enum.StrEnum):
    HELD = "held"
    COMMITTED = "committed"
    RELEASED = "released"
    EXPIRED = "expired"
    FAILED = "failed"


class Answer(enum.StrEnum):
    """Which message answers a reservation request."""

    CONFIRMED = "confirmed"
    FAILED = "failed"
    EXPIRED = "expired"
    RELEASED = "released"


class ReservationConflictError(InventoryError):
    """A transition the reservation's status does not allow (a bug, or a concurrent change)."""


@dataclass(frozen=True, slots=True)
class HeldLine:
    product_id: UUID
    quantity: int
    warehouse_id: str
    location: str

    @property
    def line(self) -> Line:
        return Line(self.product_id, self.quantity)


@dataclass(frozen=True, slots=True)
class Reservation:
    reservation_id: UUID
    order_id: UUID
    status: ReservationStatus
    priority: str
    lines: tuple[HeldLine, ...]
    """What is (or was) held; empty for a failed reservation and a tombstone."""
    expires_at: datetime
    requested_at: datetime
    confirmed_at: datetime | None = None
    closed_at: datetime | None = None
    reason: str | None = None
    """Why it was released, or nothing."""
    shortage: Shortage | None = None
    """Why it failed."""
    correlation_id: UUID | None = None
    """The flow of the request, so messages sent later by a timer (expiry) belong to the same flow."""
    causation_id: UUID | None = None
    """The message id of the request."""

    @classmethod
    def held(
        cls,
        reservation_id: UUID,
        order_id: UUID,
        lines: tuple[HeldLine, ...],
        *,
        priority: str,
        expires_at: datetime,
        now: datetime,
        correlation_id: UUID | None = None,
        causation_id: UUID | None = None,
    ) -> Reservation:
        if not lines:
            raise ReservationConflictError(f"reservation {reservation_id} holds no line")
        return cls(
            reservation_id,
            order_id,
            ReservationStatus.HELD,
            priority,
            lines,
            expires_at,
            requested_at=now,
            confirmed_at=now,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )

    @classmethod
    def failed(
        cls,
        reservation_id: UUID,
        order_id: UUID,
        shortage: Shortage,
        *,
        priority: str,
        expires_at: datetime,
        now: datetime,
        correlation_id: UUID | None = None,
        causation_id: UUID | None = None,
    ) -> Reservation:
        return cls(
            reservation_id,
            order_id,
            ReservationStatus.FAILED,
            priority,
            (),
            expires_at,
            requested_at=now,
            closed_at=now,
            shortage=shortage,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )

    @classmethod
    def expired_on_arrival(
        cls,
        reservation_id: UUID,
        order_id: UUID,
        *,
        priority: str,
        expires_at: datetime,
        now: datetime,
        correlation_id: UUID | None = None,
        causation_id: UUID | None = None,
    ) -> Reservation:
        """Asked for after its own expiration time (a backlog, a late redelivery): nothing is held."""
        return cls(
            reservation_id,
            order_id,
            ReservationStatus.EXPIRED,
            priority,
            (),
            expires_at,
            requested_at=now,
            closed_at=expires_at,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )

    @classmethod
    def tombstone(cls, reservation_id: UUID, order_id: UUID, *, reason: str, now: datetime) -> Reservation:
        """A release came first: the reservation is over before it began."""
        return cls(
            reservation_id,
            order_id,
            ReservationStatus.RELEASED,
            "normal",
            (),
            expires_at=now,
            requested_at=now,
            closed_at=now,
            reason=reason,
        )

    @property
    def total(self) -> int:
        return sum(line.quantity for line in self.lines)

    def answer(self) -> Answer:
        """The answer to its request, now: a request seen again gets the current outcome."""
        return {
            ReservationStatus.HELD: Answer.CONFIRMED,
            ReservationStatus.COMMITTED: Answer.CONFIRMED,
            ReservationStatus.FAILED: Answer.FAILED,
            ReservationStatus.EXPIRED: Answer.EXPIRED,
            ReservationStatus.RELEASED: Answer.RELEASED,
        }[self.status]

    def is_due(self, now: datetime) -> bool:
        """Held past its expiry time: it must expire, and cannot be committed any more."""
        return self.status is ReservationStatus.HELD and self.expires_at <= now

    def commit(self, now: datetime) -> Reservation:
        if self.status is not ReservationStatus.HELD or self.is_due(now):
            raise ReservationConflictError(f"reservation {self.reservation_id} is {self.status}")
        return replace(self, status=ReservationStatus.COMMITTED, closed_at=now)

    def expire(self, now: datetime) -> Reservation:
        if not self.is_due(now):
            raise ReservationConflictError(f"reservation {self.reservation_id} is not due")
        return replace(self, status=ReservationStatus.EXPIRED, closed_at=now)

    def release(self, now: datetime, reason: str) -> Reservation:
        """Held units are freed; committed ones come back on hand (the order never shipped)."""
        if self.status not in (ReservationStatus.HELD, ReservationStatus.COMMITTED):
            raise ReservationConflictError(f"reservation {self.reservation_id} is {self.status}")
        return replace(self, status=ReservationStatus.RELEASED, closed_at=now, reason=reason)
