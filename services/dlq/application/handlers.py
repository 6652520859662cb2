"""Handlers of the dead letter processor: plain functions of (message, ports).

`triage_dead_letter` runs in the consumer's transaction and only records what to do; `FollowUp`
(`follow_up.py`) carries it out after the commit. A retry is therefore never published, and an alert never
raised, for a decision that rolled back, and a decision that committed is carried out even if the process
dies right after the commit.
"""

import logging
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from a4co_sdk._runtime.subscribing import subject_matches
from a4co_sdk.messages import DEAD_LETTER
from a4co_sdk.models import dlq
from a4co_sdk.streams import STREAMS
from services.dlq.application.ports import DecisionLog, Triaged
from services.dlq.domain.redelivery import original_body, redelivery, retries_made
from services.dlq.domain.triage import Alert, AlertReason, Failed, Retry, RetryPolicy, triage

__all__ = ["MESSAGE_ID_HEADER", "in_public_stream", "triage_dead_letter"]

log = logging.getLogger(__name__)

MESSAGE_ID_HEADER = DEAD_LETTER.header_roles["message-id"]
"""`event-id`: every message of the contract has the same envelope, the dead letter's included."""


def in_public_stream(subject: str) -> bool:
    """Whether `subject` belongs to a public stream of the contract.

    Private streams are event stores: only their owner appends to them, under optimistic concurrency, and
    a second copy of a commit there would be a second commit. Nothing is ever sent again to them.
    """
    return any(
        subject_matches(pattern, subject)
        for stream in STREAMS.values()
        if not stream.private
        for pattern in stream.subjects
    )


async def triage_dead_letter(
    letter: dlq.DeadLetter,
    *,
    dlq_sequence: int,
    dead_letter_id: UUID | None,
    decisions: DecisionLog,
    policy: RetryPolicy,
    now: datetime,
    republishable: Callable[[str], bool] = in_public_stream,
) -> Triaged:
    """Decide once per dead letter (by its DLQ sequence) and record the decision; a dead letter seen
    before gets the decision made then, and nothing new is recorded."""
    known = await decisions.get(dlq_sequence)
    if known is not None:
        return known
    original = letter.event
    event_id = original.headers.get(MESSAGE_ID_HEADER) or None
    failed = Failed(
        kind=letter.failure_kind.value,
        error_name=letter.error.name,
        event_id=event_id,
        retries=retries_made(original.headers),
        republishable=republishable(letter.original_subject),
    )
    decision = triage(failed, policy, now)
    sent_again = None
    if isinstance(decision, Retry):
        try:
            body = original_body(original.body, original.body_encoding.value)
        except ValueError:  # a dead letter whose body was damaged on the way: nothing to send again
            decision = Alert(AlertReason.NOT_RETRIABLE, decision.number - 1)
        else:
            sent_again = redelivery(
                letter.original_subject,
                body,
                original.headers,
                message_id=decision.message_id,
                retries=decision.number,
            )
    triaged = Triaged(
        dlq_sequence=dlq_sequence,
        dead_letter_id=dead_letter_id,
        original_subject=letter.original_subject,
        service=letter.service,
        consumer=letter.consumer,
        kind=letter.failure_kind.value,
        error_name=letter.error.name,
        error_message=letter.error.message,
        event_id=event_id,
        decision=decision,
        decided_at=now,
        redelivery=sent_again,
    )
    await decisions.add(triaged)
    if isinstance(decision, Retry):
        log.info(
            "dead letter %d (%s from %s): retry %d at %s",
            dlq_sequence,
            letter.original_subject,
            letter.consumer,
            decision.number,
            decision.due_at.isoformat(),
        )
    return triaged
