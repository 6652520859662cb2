"""Dead letters as the platform writes them, for the unit tests."""

from datetime import UTC, datetime
from uuid import uuid4

from a4co_sdk.models import dlq
from services.dlq.domain.triage import RetryPolicy

T0 = datetime(2026, 11, 20, 10, 15, tzinfo=UTC)
POLICY = RetryPolicy(max_retries=2, delays=(30.0,))
BODY = '{"paymentId": "2f0c5b8e-7a59-4c1e-9d3b-64a1c4f1e0aa", "amount": "12.50"}'


def letter(
    kind: str = "handler_error",
    error: str = "TimeoutError",
    *,
    subject: str = "payment.requested.v1",
    headers: dict[str, str] | None = None,
    body: str = BODY,
    encoding: str = "utf-8",
) -> dlq.DeadLetter:
    event_id = str(uuid4())
    return dlq.DeadLetter(
        original_subject=subject,
        event=dlq.DeadLetterEvent(
            headers=headers if headers is not None else {"event-id": event_id, "Nats-Msg-Id": event_id},
            body=body,
            body_encoding=dlq.BodyEncoding(encoding),
        ),
        error=dlq.DeadLetterError(message="no answer in 5 s", name=error, stack="Traceback ..."),
        attempts=5,
        moved_to_dlq_at=T0,
        failure_kind=dlq.DeadLetterFailureKind(kind),
        service="payment",
        consumer="payment-on-payment-requested",
        stream_sequence=88231,
    )
