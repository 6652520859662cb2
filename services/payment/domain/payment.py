"""The Payment aggregate: one charge of one order, event-sourced in ES_PAYMENTS (`es.payment.<paymentId>`).

Life of a payment:

    new ──request──▶ requested ──start_processing──▶ processing ──captured──▶ captured ──refund──▶ refunded
                        │                              │  ▲   │                  (partial refunds keep it
                        └──refuse──▶ failed ◀──declined┘  └───┘ processor error:   captured until nothing
                                                              retried with backoff  is left)
    new ──refund──▶ voided (tombstone: a late request is refused)
    requested/processing ──refund──▶ voided ──captured late──▶ refunded at once

Commands are imperative methods that check the state and record events; they never do I/O and take the
time as an argument. State changes only in the `@when` methods, the same code whether an event is new or
replayed from the store. Every decision is idempotent by business id: a payment is requested once, an
outcome is recorded once per processor attempt, a refund once per refund id (asking again finds the answer
recorded the first time, `refund_answer`).

The processor's outcome is a fact from outside, not a decision: a capture that arrives after the payment
was voided (the processor answered late, or raced the refund) is still recorded, and the money is refunded
at once under the refund id that voided it, so the customer is never charged for a cancelled order.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import ClassVar, TypeVar
from uuid import UUID

from services.payment.domain import events as ev
from services.payment.domain.methods import StoredMethod
from services.payment.domain.processor import (
    Captured,
    Declined,
    NoAnswer,
    ProcessorError,
    ProcessorOutcome,
    processor_id,
)
from services.payment.domain.split import SplitError, check_adds_up, split_payment
from services.platform.eventstore import Aggregate, DomainEvent, when

__all__ = ["STATUSES", "Payment", "ProcessorPolicy", "RefundAnswer", "refusal"]

E = TypeVar("E", bound=ev.Event)

STATUSES = ("new", "requested", "processing", "captured", "failed", "voided", "refunded")
ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class ProcessorPolicy:
    """How long to wait for the processor and how to retry its errors."""

    answer_timeout: timedelta = timedelta(seconds=5)
    """A charge not answered by then is asked for again (also after a crash between send and answer)."""
    first_retry: timedelta = timedelta(seconds=1)
    """Pause after the first processor error; doubles after each further one."""
    max_attempts: int = 4
    """Attempts in all; an error on the last one fails the payment with `processor_error`."""

    def retry_delay(self, attempt: int) -> timedelta:
        return self.first_retry * (1 << (attempt - 1))


@dataclass(frozen=True, slots=True)
class RefundAnswer:
    """What `payment.refunded.v1` says about one refund id."""

    refund_id: UUID
    outcome: str
    """A RefundOutcome value: refunded | voided | nothing_to_refund."""
    amount: Decimal


def refusal(
    *,
    customer_id: UUID,
    method: StoredMethod | None,
    amount: Decimal,
    currencies: Iterable[str],
    lines: Iterable[tuple[UUID, Decimal]],
    delivery_cost: Decimal,
) -> str | None:
    """Why a requested payment must not be sent to the processor at all, or None.

    The validation step normally stops these first; the payment defends itself anyway (a request may
    come without a validation, or the vault may have changed in between). Everything refused here fails
    with `declined`: no other PaymentFailureReason fits a request the service itself will not charge.
    """
    if method is None:
        return "the payment method is not in the vault"
    if method.owner_id != customer_id:
        return "the payment method belongs to another customer"
    if len(set(currencies)) != 1:
        return "the amounts are not all in one currency"
    try:
        check_adds_up(amount, lines, delivery_cost)
    except SplitError as exc:
        return f"the payment cannot be split: {exc}"
    return None


class Payment(Aggregate):
    aggregate_type = "payment"
    event_versions: ClassVar[Mapping[str, int]] = MappingProxyType(
        {name: cls.version for name, cls in ev.EVENT_TYPES.items()}
    )

    def __init__(self, aggregate_id: str | UUID) -> None:
        super().__init__(aggregate_id)
        self.payment_id = UUID(self.id)
        self.status = "new"
        self.order_id: UUID | None = None
        self.customer_id: UUID | None = None
        self.payment_method_id: UUID | None = None
        self.amount = ZERO
        self.currency = "EUR"
        self.lines: tuple[ev.ArtisanLine, ...] = ()
        self.delivery_cost = ZERO
        self.correlation_id: UUID | None = None
        self.method_type: str | None = None
        self.method_label: str | None = None
        self.processor_id: str | None = None
        self.attempt = 0
        """The processor attempt whose outcome is awaited (0: none sent)."""
        self.next_attempt_at: datetime | None = None
        """When a processing payment must be driven again (an answer is overdue, or a retry is due)."""
        self.last_error: str | None = None
        self.reference: str | None = None
        self.captured = ZERO
        self.refunded = ZERO
        self.failure_reason: str | None = None
        self.split_id: UUID | None = None
        self.shares: tuple[ev.SplitShare, ...] = ()
        self.voided_by: UUID | None = None
        self.refunds: dict[UUID, RefundAnswer] = {}
        self.updated_at: datetime | None = None

    # -- reading -----------------------------------------------------------------------------------------

    @property
    def remaining(self) -> Decimal:
        """Captured and not refunded yet."""
        return self.captured - self.refunded

    def due(self, now: datetime) -> bool:
        """A processing payment whose processor answer is overdue or whose retry is due."""
        return (
            self.status == "processing" and self.next_attempt_at is not None and self.next_attempt_at <= now
        )

    def refund_answer(self, refund_id: UUID) -> RefundAnswer | None:
        return self.refunds.get(refund_id)

    def decided(self) -> list[ev.Event]:
        """The events recorded since the last save, typed (what the outgoing messages are built from)."""
        return [ev.decode(event) for event in self.pending_events]

    # -- commands ----------------------------------------------------------------------------------------

    def request(
        self,
        *,
        order_id: UUID,
        customer_id: UUID,
        payment_method_id: UUID,
        amount: Decimal,
        currency: str,
        lines: Iterable[tuple[UUID, Decimal]],
        delivery_cost: Decimal,
        correlation_id: UUID,
        now: datetime,
    ) -> bool:
        """Accept the charge; False when this payment id was requested (or refunded) before."""
        if self.status != "new":
            return False
        self._record(
            ev.PaymentRequested(
                at=now,
                order_id=order_id,
                customer_id=customer_id,
                payment_method_id=payment_method_id,
                amount=amount,
                currency=currency,
                lines=tuple(ev.ArtisanLine(artisan_id, line) for artisan_id, line in lines),
                delivery_cost=delivery_cost,
                correlation_id=correlation_id,
            )
        )
        return True

    def refuse(self, *, reason: str, detail: str, now: datetime) -> None:
        """Fail a requested payment before any charge (no usable method, amounts that do not add up)."""
        if self.status == "requested":
            self._record(ev.PaymentFailed(at=now, reason=reason, detail=detail))

    def start_processing(
        self, *, method_type: str, method_label: str, policy: ProcessorPolicy, now: datetime
    ) -> None:
        """Send the first charge attempt to the processor of the method's kind."""
        if self.status == "requested":
            self._record(
                ev.ProcessingStarted(
                    at=now,
                    processor_id=processor_id(method_type),
                    method_type=method_type,
                    method_label=method_label,
                    answer_by=now + policy.answer_timeout,
                )
            )

    def record_outcome(
        self, attempt: int, outcome: ProcessorOutcome, *, policy: ProcessorPolicy, now: datetime
    ) -> None:
        """The processor answered attempt `attempt`; an answer to another attempt, or a repeat, is ignored."""
        if attempt != self.attempt or isinstance(outcome, NoAnswer):
            return
        if self.status == "voided" and self.voided_by is not None:
            if isinstance(outcome, Captured) and self.captured == ZERO:
                self._record(
                    ev.PaymentCaptured(at=now, attempt=attempt, reference=outcome.reference, after_void=True)
                )
                self._record(
                    ev.PaymentRefunded(
                        at=now,
                        refund_id=self.voided_by,
                        amount=self.amount,
                        reason="captured after the payment was voided: refunded at once",
                    )
                )
            return  # a decline or an error after a void changes nothing: nothing was charged
        if self.status != "processing":
            return
        if isinstance(outcome, Captured):
            self._record(ev.PaymentCaptured(at=now, attempt=attempt, reference=outcome.reference))
            shares = split_payment(
                self.amount, ((line.artisan_id, line.amount) for line in self.lines), self.delivery_cost
            )
            self._record(
                ev.PaymentSplit(
                    at=now,
                    split_id=uuid.uuid5(self.payment_id, "split"),
                    shares=tuple(
                        ev.SplitShare(s.recipient_id, s.recipient_type, s.amount, s.percentage)
                        for s in shares
                    ),
                )
            )
        elif isinstance(outcome, Declined):
            self._record(ev.PaymentFailed(at=now, reason=outcome.reason, detail="declined by the processor"))
        elif isinstance(outcome, ProcessorError):
            if attempt >= policy.max_attempts:
                detail = f"processor error on attempt {attempt} of {policy.max_attempts}: {outcome.detail}"
                self._record(ev.PaymentFailed(at=now, reason="processor_error", detail=detail))
            else:
                self._record(
                    ev.ProcessorErrored(
                        at=now,
                        attempt=attempt,
                        detail=outcome.detail,
                        retry_at=now + policy.retry_delay(attempt),
                    )
                )

    def refund(
        self, *, refund_id: UUID, order_id: UUID, amount: Decimal | None, reason: str, now: datetime
    ) -> RefundAnswer:
        """Give back what was captured (all that is left, or `amount` of it), void a charge in progress,
        or say there is nothing to give back. Once per refund id: asking again returns the first answer."""
        known = self.refunds.get(refund_id)
        if known is not None:
            return known
        if self.status == "new":
            self._record(
                ev.RefundedBeforeRequest(at=now, order_id=order_id, refund_id=refund_id, reason=reason)
            )
        elif self.status in ("requested", "processing"):
            self._record(ev.PaymentVoided(at=now, refund_id=refund_id, reason=reason))
        elif self.status == "captured" and self.remaining > ZERO and (amount is None or amount > ZERO):
            give = self.remaining if amount is None else min(amount, self.remaining)
            self._record(ev.PaymentRefunded(at=now, refund_id=refund_id, amount=give, reason=reason))
        else:
            self._record(ev.NothingRefunded(at=now, refund_id=refund_id, reason=reason))
        return self.refunds[refund_id]

    # -- events ------------------------------------------------------------------------------------------

    def _record(self, event: ev.Event) -> None:
        self._trigger(type(event).__name__, ev.encode(event), occurred_at=event.at)

    @when("PaymentRequested")
    def _requested(self, stored: DomainEvent) -> None:
        e = _typed(stored, ev.PaymentRequested)
        self.status = "requested"
        self.order_id, self.customer_id, self.payment_method_id = (
            e.order_id,
            e.customer_id,
            e.payment_method_id,
        )
        self.amount, self.currency, self.lines, self.delivery_cost = (
            e.amount,
            e.currency,
            e.lines,
            e.delivery_cost,
        )
        self.correlation_id = e.correlation_id
        self.updated_at = e.at

    @when("ProcessingStarted")
    def _started(self, stored: DomainEvent) -> None:
        e = _typed(stored, ev.ProcessingStarted)
        self.status = "processing"
        self.processor_id, self.method_type, self.method_label = e.processor_id, e.method_type, e.method_label
        self.attempt, self.next_attempt_at, self.updated_at = 1, e.answer_by, e.at

    @when("ProcessorErrored")
    def _errored(self, stored: DomainEvent) -> None:
        e = _typed(stored, ev.ProcessorErrored)
        self.attempt, self.next_attempt_at, self.last_error, self.updated_at = (
            e.attempt + 1,
            e.retry_at,
            e.detail,
            e.at,
        )

    @when("PaymentCaptured")
    def _captured(self, stored: DomainEvent) -> None:
        e = _typed(stored, ev.PaymentCaptured)
        self.reference, self.captured, self.next_attempt_at, self.updated_at = (
            e.reference,
            self.amount,
            None,
            e.at,
        )
        if not e.after_void:
            self.status = "captured"

    @when("PaymentSplit")
    def _split(self, stored: DomainEvent) -> None:
        e = _typed(stored, ev.PaymentSplit)
        self.split_id, self.shares = e.split_id, e.shares

    @when("PaymentFailed")
    def _failed(self, stored: DomainEvent) -> None:
        e = _typed(stored, ev.PaymentFailed)
        self.status, self.failure_reason, self.next_attempt_at, self.updated_at = (
            "failed",
            e.reason,
            None,
            e.at,
        )

    @when("PaymentVoided")
    def _voided(self, stored: DomainEvent) -> None:
        e = _typed(stored, ev.PaymentVoided)
        self.status, self.voided_by, self.next_attempt_at, self.updated_at = "voided", e.refund_id, None, e.at
        self.refunds[e.refund_id] = RefundAnswer(e.refund_id, "voided", self.amount)

    @when("PaymentRefunded")
    def _refunded(self, stored: DomainEvent) -> None:
        e = _typed(stored, ev.PaymentRefunded)
        self.refunded += e.amount
        self.refunds[e.refund_id] = RefundAnswer(e.refund_id, "refunded", e.amount)
        if self.remaining == ZERO:
            self.status = "refunded"
        self.updated_at = e.at

    @when("NothingRefunded")
    def _nothing(self, stored: DomainEvent) -> None:
        e = _typed(stored, ev.NothingRefunded)
        self.refunds[e.refund_id] = RefundAnswer(e.refund_id, "nothing_to_refund", ZERO)
        self.updated_at = e.at

    @when("RefundedBeforeRequest")
    def _tombstone(self, stored: DomainEvent) -> None:
        e = _typed(stored, ev.RefundedBeforeRequest)
        self.status, self.order_id, self.updated_at = "voided", e.order_id, e.at
        self.refunds[e.refund_id] = RefundAnswer(e.refund_id, "nothing_to_refund", ZERO)


def _typed(stored: DomainEvent, kind: type[E]) -> E:
    event = ev.decode(stored)
    if not isinstance(event, kind):  # the registry maps each type name to its class: a bug, not data
        raise TypeError(f"{stored.type} decoded as {type(event).__name__}, not {kind.__name__}")
    return event
