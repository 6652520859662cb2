"""What operations sees: one ERROR line `alert=dlq ...` and a tick of a4co_alerts_total{reason}."""

import logging
from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry, Counter

from services.dlq.adapters.reporting import LogAndMetrics
from services.dlq.application.ports import Triaged
from services.dlq.domain.redelivery import Redelivery
from services.dlq.domain.triage import Alert, AlertReason, Retry

T0 = datetime(2026, 11, 20, 10, 15, tzinfo=UTC)


def reporter() -> tuple[LogAndMetrics, CollectorRegistry]:
    registry = CollectorRegistry()
    alerts = Counter("a4co_alerts_total", "alerts", ["reason"], registry=registry)
    retries = Counter("a4co_dlq_retries_total", "retries", ["service"], registry=registry)
    return LogAndMetrics(alerts, retries), registry


def triaged(decision: Alert | Retry) -> Triaged:
    return Triaged(
        dlq_sequence=88,
        dead_letter_id=None,
        original_subject="payment.requested.v1",
        service="payment",
        consumer="payment-on-payment-requested",
        kind="invalid",
        error_name="ValidationError",
        error_message="paymentId is not a valid UUID",
        event_id="c031b340-f466-5072-b9cb-477b91567276",
        decision=decision,
        decided_at=T0,
        redelivery=Redelivery("payment.requested.v1", b"{}", {}) if isinstance(decision, Retry) else None,
    )


def test_an_alert_is_one_structured_error_line_and_a_counted_reason(caplog: pytest.LogCaptureFixture) -> None:
    report, registry = reporter()
    with caplog.at_level(logging.INFO, logger="a4co.alerts"):
        report.alert(
            triaged(Alert(AlertReason.INVALID, 0)), AlertReason.INVALID, 'ValidationError: "paymentId"\nbad'
        )
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert record.name == "a4co.alerts"
    assert record.getMessage() == (
        "alert=dlq reason=invalid service=payment consumer=payment-on-payment-requested "
        "subject=payment.requested.v1 kind=invalid error=ValidationError retries=0 dlq_seq=88 "
        'event_id=c031b340-f466-5072-b9cb-477b91567276 detail="ValidationError: \\"paymentId\\"\\nbad"'
    )
    assert registry.get_sample_value("a4co_alerts_total", {"reason": "invalid"}) == 1.0


def test_a_published_retry_is_counted_by_service(caplog: pytest.LogCaptureFixture) -> None:
    report, registry = reporter()
    with caplog.at_level(logging.INFO):
        report.retried(triaged(Retry(2, T0, "c031.retry.2")))
    assert registry.get_sample_value("a4co_dlq_retries_total", {"service": "payment"}) == 1.0
    assert "retried=dlq service=payment" in caplog.text
    assert "retry=2" in caplog.text
    assert registry.get_sample_value("a4co_alerts_total", {"reason": "invalid"}) is None
