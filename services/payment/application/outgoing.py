"""From the payment's decisions to the messages the rest of the marketplace receives.

The aggregate decides; this module says what each decision tells the world, as the contract's messages,
prepared (validated, enveloped, sensitive fields encrypted) by the generated publishers. The prepared
messages are stored in the same commit as the events (the event store is its own outbox) and published
by the relay, so a message goes out if and only if its decision was stored.

- ProcessingStarted: `payment.processing.started.v1`, with the method from the vault (its card number
  encrypted by the publisher, never a CVV);
- PaymentCaptured: `payment.succeeded.v1` (not for a capture after a void: that money goes straight back);
- PaymentSplit: `payment.split.created.v1`; PaymentFailed: `payment.failed.v1`;
- PaymentVoided, PaymentRefunded, NothingRefunded, RefundedBeforeRequest: `payment.refunded.v1` with the
  outcome voided, refunded or nothing_to_refund.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from a4co_sdk._runtime.context import MessageContext
from a4co_sdk._runtime.publishing import OutgoingMessage, Publisher
from a4co_sdk.models import common, payment
from a4co_sdk.publishers.payment import PaymentPublishers
from services.payment.domain import events as ev
from services.payment.domain.methods import StoredMethod
from services.payment.domain.payment import Payment, RefundAnswer

__all__ = ["Outgoing", "method_on_the_wire"]

ZERO = Decimal("0.00")


def method_on_the_wire(method: StoredMethod) -> payment.PaymentMethod:
    """The contract's PaymentMethod for a saved method: card data in clear here, encrypted by the publisher.

    The CVV is never included: the vault never has one (PCI DSS forbids keeping it after authorisation).
    """
    root: (
        payment.CardPaymentMethod
        | payment.BizumPaymentMethod
        | payment.PayPalPaymentMethod
        | payment.BankTransferPaymentMethod
    )
    if method.type == "card":
        assert method.card_number, "a saved card has a number"
        assert method.expiry_month, "a saved card has an expiry"
        assert method.expiry_year, "a saved card has an expiry"
        assert method.brand, "a saved card has a brand"
        root = payment.CardPaymentMethod(
            type="card",
            payment_method_id=method.payment_method_id,
            card_number=method.card_number,
            expiry_month=method.expiry_month,
            expiry_year=method.expiry_year,
            holder_name=method.holder_name or "-",
            brand=payment.Brand(method.brand),
            last4=method.last4 or method.card_number[-4:],
        )
    elif method.type == "bizum":
        assert method.phone_number
        root = payment.BizumPaymentMethod(
            type="bizum", payment_method_id=method.payment_method_id, phone_number=method.phone_number
        )
    elif method.type == "paypal":
        assert method.email
        root = payment.PayPalPaymentMethod(
            type="paypal", payment_method_id=method.payment_method_id, email=method.email
        )
    else:
        assert method.iban
        root = payment.BankTransferPaymentMethod(
            type="transfer",
            payment_method_id=method.payment_method_id,
            iban=method.iban,
            holder_name=method.holder_name or "-",
        )
    return payment.PaymentMethod(root=root)


class Outgoing:
    """Builds the prepared messages of one payment, in the flow (`context`) they belong to."""

    def __init__(self, publishers: PaymentPublishers, payment_: Payment, context: MessageContext) -> None:
        self.p = publishers
        self.payment = payment_
        self.context = context
        self.out: list[OutgoingMessage] = []

    def _send(self, publisher: Publisher[Any], body: Any, at: datetime) -> None:
        self.out.append(publisher.prepare(body, context=self.context, occurred_at=at))

    def _money(self, amount: Decimal) -> common.Money:
        return common.Money(amount=amount, currency=self.payment.currency)

    def _ids(self) -> tuple[UUID, UUID]:
        assert self.payment.order_id is not None
        return self.payment.payment_id, self.payment.order_id

    # -- decisions ---------------------------------------------------------------------------------------

    def for_events(self, events: Iterable[ev.Event], method: StoredMethod | None) -> list[OutgoingMessage]:
        """The messages the new events send, in order."""
        for event in events:
            if isinstance(event, ev.ProcessingStarted):
                assert method is not None, "processing starts with the method from the vault"
                self.processing_started(event, method)
            elif isinstance(event, ev.PaymentCaptured) and not event.after_void:
                self.succeeded(event.at)
            elif isinstance(event, ev.PaymentSplit):
                self.split(event)
            elif isinstance(event, ev.PaymentFailed):
                self.failed(event.reason, event.at)
            elif isinstance(
                event, ev.PaymentVoided | ev.PaymentRefunded | ev.NothingRefunded | ev.RefundedBeforeRequest
            ):
                self.refunded(self.payment.refunds[event.refund_id], event.at)
        return self.out

    def processing_started(self, e: ev.ProcessingStarted, method: StoredMethod) -> None:
        payment_id, order_id = self._ids()
        assert self.payment.customer_id is not None
        self._send(
            self.p.payment_processing_started,
            payment.PaymentProcessingStarted(
                payment_id=payment_id,
                order_id=order_id,
                amount=self._money(self.payment.amount),
                payment_method=method_on_the_wire(method),
                customer_id=self.payment.customer_id,
                # The only customer address the payment service knows is a PayPal account's.
                customer_email=method.email if method.type == "paypal" else None,
                processor_id=e.processor_id,
                started_at=e.at,
            ),
            e.at,
        )

    def succeeded(self, at: datetime) -> None:
        payment_id, order_id = self._ids()
        assert self.payment.reference is not None
        self._send(
            self.p.payment_succeeded,
            payment.PaymentSucceeded(
                payment_id=payment_id,
                order_id=order_id,
                amount=self._money(self.payment.captured),
                processor_reference=self.payment.reference,
                captured_at=at,
            ),
            at,
        )

    def split(self, e: ev.PaymentSplit) -> None:
        payment_id, order_id = self._ids()
        self._send(
            self.p.payment_split_created,
            payment.PaymentSplitCreated(
                split_id=e.split_id,
                payment_id=payment_id,
                order_id=order_id,
                splits=[
                    payment.PaymentSplitShare(
                        recipient_id=share.recipient_id,
                        recipient_type=payment.RecipientType(share.recipient_type),
                        amount=self._money(share.amount),
                        percentage=float(share.percentage),
                    )
                    for share in e.shares
                ],
                total_amount=self._money(self.payment.amount),
                created_at=e.at,
            ),
            e.at,
        )

    def failed(self, reason: str, at: datetime, amount: Decimal | None = None) -> None:
        payment_id, order_id = self._ids()
        self._send(
            self.p.payment_failed,
            payment.PaymentFailed(
                payment_id=payment_id,
                order_id=order_id,
                amount=self._money(self.payment.amount if amount is None else amount),
                reason=payment.PaymentFailureReason(reason),
                failed_at=at,
            ),
            at,
        )

    def refunded(self, answer: RefundAnswer, at: datetime) -> None:
        payment_id, order_id = self._ids()
        self._send(
            self.p.payment_refunded,
            payment.PaymentRefunded(
                refund_id=answer.refund_id,
                payment_id=payment_id,
                order_id=order_id,
                amount=self._money(answer.amount),
                outcome=payment.RefundOutcome(answer.outcome),
                refunded_at=at,
            ),
            at,
        )

    # -- answers to a request seen before ----------------------------------------------------------------

    def current_outcome(self, at: datetime, requested: Decimal) -> list[OutgoingMessage]:
        """What a repeated `payment.requested` is told: the outcome so far (nothing while processing).

        A payment that was captured is reported as succeeded even once refunded (the capture happened; the
        refund has its own answer); one voided or refused before any capture as failed (`declined`), for
        the `requested` amount (a tombstone left by an early refund knows no amount of its own).
        """
        status = self.payment.status
        if self.payment.captured > ZERO:
            self.succeeded(at)
        elif status == "failed":
            self.failed(self.payment.failure_reason or "declined", at)
        elif status == "voided":
            self.failed("declined", at, amount=requested)
        return self.out
