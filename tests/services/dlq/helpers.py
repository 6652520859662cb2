"""Dead letters made the way the platform makes them, for the DLQ service and `a4co dlq` tests."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from nats.js import JetStreamContext

from a4co_sdk._runtime.errors import DecodeError
from a4co_sdk._runtime.publishing import OutgoingMessage
from a4co_sdk._runtime.subscribing import Delivery, Failure
from a4co_sdk.models import common, delivery
from a4co_sdk.publishers.delivery import DeliveryPublishers
from a4co_sdk.streams import DLQ_STREAM, ORDER_ON_DELIVERY_SCHEDULED
from services.platform.dead_letters import DeadLetterQueue

SUBJECT = "delivery.scheduled.v1"
STREAM = "DELIVERIES"
CONSUMER = ORDER_ON_DELIVERY_SCHEDULED.name


def delivery_scheduled() -> delivery.DeliveryScheduled:
    start = datetime(2026, 11, 30, 9, tzinfo=UTC)
    return delivery.DeliveryScheduled(
        delivery_id=uuid4(),
        order_id=uuid4(),
        carrier="Jaén Mensajería",
        tracking_code="JAE2340012345678901",
        window=common.DateRange(start=start, end=start + timedelta(hours=5)),
        cost=common.Money(amount=Decimal("4.95"), currency="EUR"),
        scheduled_at=datetime(2026, 11, 27, 10, tzinfo=UTC),
    )


def original(js: JetStreamContext, payload: delivery.DeliveryScheduled | None = None) -> OutgoingMessage:
    """A message as the delivery service publishes it (not sent)."""
    return DeliveryPublishers(js).delivery_scheduled.prepare(payload or delivery_scheduled())


def as_stored(message: OutgoingMessage, **extra: str) -> dict[str, str]:
    """Its headers as JetStream stores and delivers them (the publisher adds the expected stream)."""
    return {**message.headers, "Nats-Expected-Stream": message.stream, **extra}


def transient(message: str = "the database did not answer in 5 s") -> TimeoutError:
    return TimeoutError(message)


def invalid(subject: str = SUBJECT) -> DecodeError:
    return DecodeError("DeliveryScheduled: trackingCode does not match", kind="invalid", subject=subject)


async def dead_letter(
    js: JetStreamContext,
    message: OutgoingMessage,
    *,
    kind: str,
    error: BaseException,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    service: str = "order",
    consumer: str = CONSUMER,
    attempt: int = 5,
    stream_sequence: int = 41,
) -> int:
    """Dead-letter `message` exactly as a consumer of `service` does; returns its sequence in the DLQ."""
    failure = Failure(
        kind,
        error,
        Delivery(
            message.subject,
            message.body if body is None else body,
            as_stored(message) if headers is None else headers,
            attempt,
            stream_sequence,
        ),
        consumer,
        service,
        stack='Traceback (most recent call last):\n  File "handlers.py", line 12\n' + repr(error),
    )
    await DeadLetterQueue(js, service=service).dead_letter(failure)
    stored = await js.get_last_msg(DLQ_STREAM.name, f"dlq.{message.subject}")
    assert stored.seq is not None
    return stored.seq
