"""Use cases of the event-sourced payments: request, refund, item changes, and driving the processor.

Each use case loads the payment from the event store, skips a message the payment has already processed
(its commits record their causes: the aggregate is its own inbox), lets the aggregate decide, and stores
the decision together with the messages it sends in one append: no dual write, nothing else to commit.
A request seen again under a new message id (the saga asked again) is answered again with the current
outcome, never applied twice. Two writers racing on one payment (a refund and the processor's answer, or
two processes): the loser reloads and decides again on the fresh state.

The processor is asked outside any transaction. The first attempt is made as soon as processing starts;
later ones by `drive_due`, which a timer calls: it reads the payments due from the payments view (fed by
the event store, so it survives restarts) and drives each one again. An answer already obtained is never
thrown away on a conflict: it is recorded on the reloaded payment (a capture after a void is refunded).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from a4co_sdk import Received
from a4co_sdk._runtime.context import MessageContext
from a4co_sdk._runtime.publishing import OutgoingMessage
from a4co_sdk.models import order, payment
from a4co_sdk.publishers.payment import PaymentPublishers
from services.payment.application.metrics import PaymentMetrics
from services.payment.application.outgoing import Outgoing
from services.payment.application.ports import (
    MethodVault,
    PaymentProcessor,
    PaymentsIndex,
    VaultBehindError,
)
from services.payment.domain.methods import StoredMethod
from services.payment.domain.payment import Payment, ProcessorPolicy, refusal
from services.payment.domain.processor import Declined, NoAnswer, ProcessorOutcome
from services.platform.eventstore import ConcurrencyError, Repository

__all__ = ["KeyedLocks", "PaymentUseCases", "modification_refund_id"]

log = logging.getLogger(__name__)

RETRIES = 5
QUIET_MAX = timedelta(seconds=30)


def _contended(payment_id: UUID) -> ConcurrencyError:
    """Every one of RETRIES decisions lost its race: give up on this delivery, it is retried later."""
    return ConcurrencyError(str(payment_id), expected=-1, actual=-1)


def modification_refund_id(change: order.OrderItemsModified) -> UUID:
    """The refund of one modification of an order, derived from what identifies the modification.

    The same modification seen twice (a redelivery, or the event published again under a new message id)
    maps to the same refund, which the payment refunds once.
    """
    key = f"modification:{change.modified_at.isoformat()}:{change.new_total_amount.amount}"
    return uuid.uuid5(change.order_id, key)


class KeyedLocks:
    """One asyncio lock per key, dropped when nobody holds or waits for it.

    Decisions on one payment (a handler, the timer) take turns inside this process; across processes the
    event store's optimistic concurrency keeps them apart.
    """

    def __init__(self) -> None:
        self._locks: dict[UUID, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: UUID) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


@dataclass
class PaymentUseCases:
    repository: Repository[Payment]
    publishers: PaymentPublishers
    vault: MethodVault
    index: PaymentsIndex
    processor: PaymentProcessor
    policy: ProcessorPolicy = field(default_factory=ProcessorPolicy)
    metrics: PaymentMetrics | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    locks: KeyedLocks = field(default_factory=KeyedLocks)
    quiet: dict[UUID, tuple[datetime, int]] = field(default_factory=dict)
    """Payments whose processor did not answer: when to ask again, and how many times it stayed silent."""

    # -- storing -----------------------------------------------------------------------------------------

    async def _save(
        self, payment_: Payment, cause: UUID | None, outbox: list[OutgoingMessage], method_type: str | None
    ) -> bool:
        """Append the decision and its messages; False when another writer came first (decide again)."""
        events = payment_.decided()
        try:
            await self.repository.save(payment_, causation_id=cause, outbox=outbox)
        except ConcurrencyError:
            log.info("payment %s changed meanwhile; deciding again", payment_.id)
            return False
        if self.metrics is not None:
            self.metrics.stored(events, method_type or payment_.method_type)
        return True

    async def _load(self, payment_id: UUID) -> Payment:
        return await self.repository.find(payment_id) or Payment(payment_id)

    @staticmethod
    def _context(payment_: Payment, received: Received[Any] | None) -> MessageContext:
        """Messages belong to the payment's flow (the saga's correlation id), caused by `received`."""
        if received is not None:
            context = received.envelope.context()
            if payment_.correlation_id is None:
                return context
            return MessageContext(
                payment_.correlation_id, context.causation_id, context.traceparent, context.tracestate
            )
        return MessageContext(payment_.correlation_id or payment_.payment_id)

    # -- payment.requested -------------------------------------------------------------------------------

    async def request_payment(
        self, request: payment.PaymentRequested, received: Received[payment.PaymentRequested]
    ) -> None:
        """Charge once per payment id: start processing and try the processor at once."""
        message_id = received.envelope.message_id
        method = await self.vault.method(request.payment_method_id)
        lines = [(line.artisan_id, line.amount.amount) for line in request.lines]
        currencies = [request.amount.currency, request.delivery_cost.currency]
        currencies += [line.amount.currency for line in request.lines]
        started = False  # this run stored the start of processing: it makes the first attempt
        async with self.locks.hold(request.payment_id):
            for _ in range(RETRIES):
                current = await self._load(request.payment_id)
                if message_id is not None and current.has_processed(message_id):
                    return  # stored before: the relay publishes what that commit sends
                if current.status == "new" and method is None and received.delivery.attempt == 1:
                    # The vault may not have heard of a method just saved (another stream, another
                    # consumer): one more try after the consumer's first backoff, then it is refused.
                    raise VaultBehindError(f"method {request.payment_method_id} is not in the vault yet")
                now = self.clock()
                started = current.request(
                    order_id=request.order_id,
                    customer_id=request.customer_id,
                    payment_method_id=request.payment_method_id,
                    amount=request.amount.amount,
                    currency=request.amount.currency,
                    lines=lines,
                    delivery_cost=request.delivery_cost.amount,
                    correlation_id=received.envelope.correlation_id or request.order_id,
                    now=now,
                )
                outgoing = Outgoing(self.publishers, current, self._context(current, received))
                if started:
                    why = refusal(
                        customer_id=request.customer_id,
                        method=method,
                        amount=request.amount.amount,
                        currencies=currencies,
                        lines=lines,
                        delivery_cost=request.delivery_cost.amount,
                    )
                    if why is not None or method is None:
                        log.warning("payment %s refused: %s", request.payment_id, why)
                        current.refuse(reason="declined", detail=why or "no method", now=now)
                        started = False
                    else:
                        current.start_processing(
                            method_type=method.type, method_label=method.label, policy=self.policy, now=now
                        )
                    outbox = outgoing.for_events(current.decided(), method)
                else:
                    if current.order_id != request.order_id:
                        log.warning(
                            "payment %s was requested for order %s, now for %s: answering for the first",
                            request.payment_id,
                            current.order_id,
                            request.order_id,
                        )
                    outbox = outgoing.current_outcome(now, requested=request.amount.amount)
                if await self._save(current, message_id, outbox, method.type if method else None):
                    break
            else:
                raise _contended(request.payment_id)
            if started:
                await self._attempt(request.payment_id, force=True)

    # -- the processor -----------------------------------------------------------------------------------

    async def drive(self, payment_id: UUID, *, force: bool = False) -> None:
        """Ask the processor again for a payment still processing, if it is due (or `force`)."""
        async with self.locks.hold(payment_id):
            await self._attempt(payment_id, force=force)

    async def drive_due(self, limit: int = 100) -> int:
        """One sweep of the timer: drive every payment due now; returns how many were driven."""
        now = self.clock()
        for payment_id, (until, _) in list(self.quiet.items()):
            if until < now - QUIET_MAX:  # not asked again for long: no longer processing (voided)
                del self.quiet[payment_id]
        driven = 0
        for payment_id in await self.index.due(now, limit):
            quiet = self.quiet.get(payment_id)
            if quiet is not None and quiet[0] > now:
                continue
            try:
                await self.drive(payment_id)
            except Exception:  # one payment failing must not stop the others; the next sweep retries it
                log.exception("driving payment %s failed", payment_id)
            driven += 1
        return driven

    async def _attempt(self, payment_id: UUID, *, force: bool) -> None:
        """One processor attempt and the recording of its answer (the caller holds the payment's lock)."""
        current = await self.repository.find(payment_id)
        now = self.clock()
        if current is None or current.status != "processing" or not (force or current.due(now)):
            if current is not None and current.status != "processing":
                self.quiet.pop(payment_id, None)
            return
        assert current.payment_method_id is not None
        attempt = current.attempt
        method = await self.vault.method(current.payment_method_id)
        outcome: ProcessorOutcome
        if method is None:  # removed from the vault since the request: nothing can be charged
            outcome = Declined("declined")
        else:
            outcome = await self.processor.charge(
                payment_id, attempt, method, current.amount, current.currency
            )
        if self.metrics is not None:
            self.metrics.processor_calls.labels(type(outcome).__name__.lower()).inc()
        if isinstance(outcome, NoAnswer):
            self._stay_quiet(payment_id, now)
            return
        self.quiet.pop(payment_id, None)
        await self._record(payment_id, attempt, outcome, method, current)

    def _stay_quiet(self, payment_id: UUID, now: datetime) -> None:
        """Back off from a processor that did not answer: 1 s, 2 s, 4 s ... up to 30 s between asks."""
        silences = self.quiet.get(payment_id, (now, 0))[1] + 1
        pause = min(timedelta(seconds=1) * (1 << min(silences - 1, 10)), QUIET_MAX)
        self.quiet[payment_id] = (now + pause, silences)
        log.info(
            "no answer from the processor for %s (%d times); asking again in %s", payment_id, silences, pause
        )

    async def _record(
        self,
        payment_id: UUID,
        attempt: int,
        outcome: ProcessorOutcome,
        method: StoredMethod | None,
        current: Payment,
    ) -> None:
        """Store the processor's answer, on a reloaded payment if another writer came first."""
        for _ in range(RETRIES):
            current.record_outcome(attempt, outcome, policy=self.policy, now=self.clock())
            events = current.decided()
            if not events:
                return  # the answer changes nothing (already recorded, or the payment moved on)
            outgoing = Outgoing(self.publishers, current, self._context(current, None))
            outbox = outgoing.for_events(events, method)
            if await self._save(current, None, outbox, method.type if method else None):
                return
            current = await self._load(payment_id)
        raise _contended(payment_id)

    # -- payment.refund.requested ------------------------------------------------------------------------

    async def refund(
        self, request: payment.PaymentRefundRequested, received: Received[payment.PaymentRefundRequested]
    ) -> None:
        """Refund, void or answer nothing_to_refund, once per refund id; a repeat gets the same answer."""
        message_id = received.envelope.message_id
        amount = request.amount.amount if request.amount is not None else None
        async with self.locks.hold(request.payment_id):
            for _ in range(RETRIES):
                current = await self._load(request.payment_id)
                if message_id is not None and current.has_processed(message_id):
                    return
                currency = request.amount.currency if request.amount is not None else current.currency
                if current.status != "new" and currency != current.currency:
                    raise ValueError(
                        f"refund {request.refund_id} is in {currency}, "
                        f"payment {request.payment_id} in {current.currency}"
                    )
                if current.order_id is not None and current.order_id != request.order_id:
                    log.warning(
                        "refund %s names order %s; payment %s is of order %s",
                        request.refund_id,
                        request.order_id,
                        request.payment_id,
                        current.order_id,
                    )
                now = self.clock()
                answer = current.refund(
                    refund_id=request.refund_id,
                    order_id=request.order_id,
                    amount=amount,
                    reason=request.reason,
                    now=now,
                )
                outgoing = Outgoing(self.publishers, current, self._context(current, received))
                events = current.decided()
                if events:
                    outbox = outgoing.for_events(events, None)
                else:
                    outgoing.refunded(answer, now)  # asked again: the same answer
                    outbox = outgoing.out
                if await self._save(current, message_id, outbox, None):
                    return
            raise _contended(request.payment_id)

    # -- order.items.modified ----------------------------------------------------------------------------

    async def items_modified(
        self, change: order.OrderItemsModified, received: Received[order.OrderItemsModified]
    ) -> None:
        """Refund what the order no longer costs: what is left of the capture minus the new total."""
        payment_id = await self.index.payment_of_order(change.order_id)
        if payment_id is None:
            # Only confirmed (paid) orders can be modified, so their payment exists; the view may lag
            # behind the event store for a moment: retried with the consumer's backoff, then dead-lettered.
            raise LookupError(f"no payment known for order {change.order_id} yet")
        message_id = received.envelope.message_id
        refund_id = modification_refund_id(change)
        new_total = change.new_total_amount.amount
        async with self.locks.hold(payment_id):
            for _ in range(RETRIES):
                current = await self._load(payment_id)
                if message_id is not None and current.has_processed(message_id):
                    return
                if current.refund_answer(refund_id) is not None:
                    return  # this modification was refunded already
                if change.new_total_amount.currency != current.currency:
                    raise ValueError(
                        f"order {change.order_id} now costs {change.new_total_amount.currency}, "
                        f"its payment is in {current.currency}"
                    )
                excess = current.remaining - new_total
                if current.status != "captured" or excess <= 0:
                    log.info(
                        "order %s modified to %s: nothing to refund (payment %s %s, %s left)",
                        change.order_id,
                        new_total,
                        payment_id,
                        current.status,
                        current.remaining,
                    )
                    return
                now = self.clock()
                current.refund(
                    refund_id=refund_id,
                    order_id=change.order_id,
                    amount=excess,
                    reason=f"order items modified by {change.modified_by}: new total {new_total}",
                    now=now,
                )
                outbox = Outgoing(self.publishers, current, self._context(current, received)).for_events(
                    current.decided(), None
                )
                if await self._save(current, message_id, outbox, None):
                    return
            raise _contended(payment_id)
