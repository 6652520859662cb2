"""The payment service's counters, by outcome, on the service's Prometheus registry (GET /metrics).

Counted once per stored decision, in the process that stored it. The business metric
`business_orders_created_total` is the order service's, not counted here.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

from services.payment.domain import events as ev

__all__ = ["PaymentMetrics"]


class PaymentMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.payments = Counter(
            "a4co_payments",
            "Payments by final outcome (captured, or failed with its reason)",
            ["outcome", "reason", "method_type"],
            registry=registry,
        )
        self.refunds = Counter(
            "a4co_payment_refunds", "Refund requests by outcome", ["outcome"], registry=registry
        )
        self.processor_calls = Counter(
            "a4co_payment_processor_calls",
            "Calls to the (simulated) processor by result",
            ["result"],
            registry=registry,
        )
        self.validations = Counter(
            "a4co_payment_method_validations",
            "Payment method validations by result (valid, or the rejection)",
            ["result", "method_type"],
            registry=registry,
        )
        self.methods_saved = Counter(
            "a4co_payment_methods_saved",
            "Payment methods kept in the vault",
            ["method_type"],
            registry=registry,
        )

    def stored(self, events: list[ev.Event], method_type: str | None) -> None:
        """Count what a stored decision did."""
        kind = method_type or "unknown"
        for event in events:
            if isinstance(event, ev.PaymentCaptured) and not event.after_void:
                self.payments.labels("captured", "", kind).inc()
            elif isinstance(event, ev.PaymentFailed):
                self.payments.labels("failed", event.reason, kind).inc()
            elif isinstance(event, ev.PaymentVoided):
                self.refunds.labels("voided").inc()
            elif isinstance(event, ev.PaymentRefunded):
                self.refunds.labels("refunded").inc()
            elif isinstance(event, ev.NothingRefunded | ev.RefundedBeforeRequest):
                self.refunds.labels("nothing_to_refund").inc()
