"""The dead letter queue: a failed message, with why it failed, under `dlq.<original subject>`.

Implements the SDK's `DeadLetterSink` with the contract's `DeadLetter` message and the generated
`platform` publisher, so a dead letter is validated and enveloped like any other message. Its envelope
keeps the failed message's correlation id and names it as the cause, so the dead letter is found with the
flow it belongs to.
"""

from __future__ import annotations

import logging
from uuid import NAMESPACE_URL, uuid5

from nats.js import JetStreamContext
from prometheus_client import Counter

from a4co_sdk._runtime.context import MessageContext
from a4co_sdk._runtime.envelope import read_envelope
from a4co_sdk._runtime.subscribing import Failure
from a4co_sdk.messages import DEAD_LETTER
from a4co_sdk.models import dlq
from a4co_sdk.publishers.platform import DeadLetterPublisher

__all__ = ["DeadLetterQueue", "dead_letter_of"]

log = logging.getLogger(__name__)

MAX_STACK = 16000
MAX_MESSAGE = 4000


def dead_letter_of(failure: Failure) -> dlq.DeadLetter:
    body, encoding = failure.body_text
    return dlq.DeadLetter(
        original_subject=failure.delivery.subject,
        event=dlq.DeadLetterEvent(
            headers=dict(failure.delivery.headers),
            body=body,
            body_encoding=dlq.BodyEncoding(encoding),
        ),
        error=dlq.DeadLetterError(
            message=(str(failure.error) or type(failure.error).__name__)[:MAX_MESSAGE],
            stack=failure.stack[-MAX_STACK:] or None,
            name=type(failure.error).__name__,
        ),
        attempts=max(failure.delivery.attempt, 1),
        moved_to_dlq_at=failure.failed_at,
        failure_kind=dlq.DeadLetterFailureKind(failure.kind),
        service=failure.service,
        consumer=failure.consumer,
        stream_sequence=max(failure.delivery.stream_sequence, 1),
    )


class DeadLetterQueue:
    """A `DeadLetterSink` that publishes to the DLQ stream and counts what it sent."""

    def __init__(self, js: JetStreamContext, *, service: str, on_sent: Counter | None = None) -> None:
        self._publisher = DeadLetterPublisher(js, producer=service)
        self._counter = on_sent
        self.sent = 0

    async def dead_letter(self, failure: Failure) -> None:
        envelope = read_envelope(DEAD_LETTER.header_roles, failure.delivery.headers)
        flow = envelope.correlation_id or envelope.message_id
        # A message without any id starts a flow of its own: the dead letter's id becomes its correlation.
        context = (
            MessageContext(
                correlation_id=flow, causation_id=envelope.message_id, traceparent=envelope.traceparent
            )
            if flow is not None
            else None
        )
        # A dead letter is about the failed message: that message's id is its aggregate id.
        about = str(
            envelope.message_id
            or uuid5(NAMESPACE_URL, f"{failure.delivery.subject}#{failure.delivery.stream_sequence}")
        )
        await self._publisher.publish(
            dead_letter_of(failure),
            original_subject=failure.delivery.subject,
            context=context,
            headers={DEAD_LETTER.header_roles["aggregate-id"]: about},
        )
        self.sent += 1
        if self._counter is not None:
            self._counter.labels(kind=failure.kind).inc()
        log.warning(
            "dead-lettered %s from %s (%s: %s)",
            failure.delivery.subject,
            failure.consumer,
            failure.kind,
            type(failure.error).__name__,
        )
