"""Triage of a dead letter (once per DLQ sequence) and the follow-up that carries decisions out."""

import base64
from datetime import datetime, timedelta
from uuid import uuid4

import pytest

from a4co_sdk.models import dlq
from services.dlq.application.follow_up import FollowUp
from services.dlq.application.handlers import in_public_stream, triage_dead_letter
from services.dlq.application.ports import RetryRefusedError, Triaged
from services.dlq.domain.triage import Alert, AlertReason, Retry

from .builders import BODY, POLICY, T0, letter
from .fakes import FakeReporter, FakeRepublisher, InMemoryDecisionLog


async def decide(
    log: InMemoryDecisionLog, message: dlq.DeadLetter, seq: int = 7, now: datetime = T0
) -> Triaged:
    return await triage_dead_letter(
        message, dlq_sequence=seq, dead_letter_id=uuid4(), decisions=log, policy=POLICY, now=now
    )


def follow_up(
    log: InMemoryDecisionLog, clock: list[datetime]
) -> tuple[FollowUp, FakeRepublisher, FakeReporter]:
    republisher, reporter = FakeRepublisher(), FakeReporter()
    return FollowUp(log.opened, republisher, reporter, clock=lambda: clock[0]), republisher, reporter


async def test_a_transient_failure_is_recorded_as_a_retry_with_the_message_to_send() -> None:
    log = InMemoryDecisionLog()
    message = letter()
    triaged = await decide(log, message)
    event_id = message.event.headers["event-id"]
    assert triaged.decision == Retry(1, T0 + timedelta(seconds=30), f"{event_id}.retry.1")
    assert triaged.redelivery is not None
    assert triaged.redelivery.subject == "payment.requested.v1"
    assert triaged.redelivery.body == BODY.encode()
    assert triaged.redelivery.headers == {
        "event-id": event_id,
        "Nats-Msg-Id": f"{event_id}.retry.1",
        "a4co-dlq-retries": "1",
    }
    assert log.rows == {7: triaged}


async def test_a_dead_letter_delivered_again_is_not_triaged_again() -> None:
    log = InMemoryDecisionLog()
    first = await decide(log, letter())
    again = await decide(log, letter("invalid", "DecodeError"), now=T0 + timedelta(hours=1))
    assert again == first
    assert list(log.rows) == [7]


async def test_a_base64_body_is_sent_again_as_the_original_bytes() -> None:
    raw = b"\x00\xffbinary"
    triaged = await decide(
        InMemoryDecisionLog(), letter(body=base64.b64encode(raw).decode(), encoding="base64")
    )
    assert triaged.redelivery is not None
    assert triaged.redelivery.body == raw


async def test_a_damaged_body_cannot_be_sent_again_and_raises_an_alert() -> None:
    triaged = await decide(InMemoryDecisionLog(), letter(body="!!!", encoding="base64"))
    assert triaged.decision == Alert(AlertReason.NOT_RETRIABLE, 0)
    assert triaged.redelivery is None


async def test_event_store_subjects_are_never_sent_again() -> None:
    assert in_public_stream("payment.requested.v1")
    assert in_public_stream("dlq.payment.requested.v1")
    assert not in_public_stream("es.order.0f4e0d0e-7c35-4c8f-a6c7-8a1f51f5e9b1")
    assert not in_public_stream("nobody.listens.v1")
    triaged = await decide(InMemoryDecisionLog(), letter(subject="es.order.0f4e0d0e"))
    assert triaged.decision == Alert(AlertReason.NOT_RETRIABLE, 0)


async def test_a_retry_is_published_when_due_once_and_its_dead_letter_removed() -> None:
    log, clock = InMemoryDecisionLog(), [T0]
    runner, republisher, reporter = follow_up(log, clock)
    triaged = await decide(log, letter(), seq=7)

    assert (await runner.run_once()).done == 0  # not due yet: nothing leaves before the delay
    assert republisher.published == []

    clock[0] = T0 + timedelta(seconds=30)
    assert (await runner.run_once()).done == 1
    assert republisher.published == [triaged.redelivery]
    assert republisher.forgotten == [7]
    assert reporter.retries == [7]
    assert log.rows[7].done_at == clock[0]
    assert log.rows[7].redelivery is None  # the message is not kept once sent

    clock[0] += timedelta(hours=1)
    assert (await runner.run_once()).done == 0
    assert len(republisher.published) == 1


async def test_an_alert_is_raised_once() -> None:
    log, clock = InMemoryDecisionLog(), [T0]
    runner, republisher, reporter = follow_up(log, clock)
    await decide(log, letter("invalid", "DecodeError"), seq=9)
    await runner.run_once()
    await runner.run_once()
    assert reporter.alerts == [(9, AlertReason.INVALID, "DecodeError: no answer in 5 s")]
    assert republisher.published == []
    assert republisher.forgotten == []  # left in the DLQ for a person


async def test_a_retry_that_cannot_be_published_is_postponed_and_does_not_hold_back_the_others() -> None:
    log, clock = InMemoryDecisionLog(), [T0 + timedelta(seconds=30)]
    runner, republisher, reporter = follow_up(log, clock)
    await decide(log, letter(), seq=1)
    await decide(log, letter("invalid", "DecodeError"), seq=2, now=T0 + timedelta(seconds=31))
    republisher.failure = ConnectionError("nats: no servers")

    result = await runner.run_once()
    assert (result.done, result.failed) == (0, True)
    assert log.rows[1].done_at is None
    assert log.rows[1].due_at == clock[0] + timedelta(seconds=30)

    clock[0] += timedelta(seconds=5)
    result = await runner.run_once()  # the alert, due now, is not held back by the postponed retry
    assert (result.done, result.failed) == (1, False)
    assert [seq for seq, _, _ in reporter.alerts] == [2]

    republisher.failure = None
    clock[0] += timedelta(seconds=30)
    assert (await runner.run_once()).done == 1
    assert len(republisher.published) == 1


async def test_a_retry_the_stream_refuses_raises_an_alert_and_stays_in_the_dlq() -> None:
    log, clock = InMemoryDecisionLog(), [T0 + timedelta(minutes=1)]
    runner, republisher, reporter = follow_up(log, clock)
    await decide(log, letter(), seq=4)
    republisher.failure = RetryRefusedError("JetStream refused payment.requested.v1: expected stream")
    assert (await runner.run_once()).done == 1
    assert reporter.alerts == [
        (4, AlertReason.RETRY_REFUSED, "JetStream refused payment.requested.v1: expected stream")
    ]
    assert republisher.forgotten == []
    assert log.rows[4].done_at is not None


async def test_decisions_carried_out_long_ago_are_pruned() -> None:
    log, clock = InMemoryDecisionLog(), [T0]
    runner, _, _ = follow_up(log, clock)
    await decide(log, letter("invalid", "DecodeError"), seq=1)
    await runner.run_once()
    clock[0] = T0 + timedelta(days=30)
    assert await runner.prune() == 0
    clock[0] = T0 + timedelta(days=32)
    assert await runner.prune() == 1
    assert log.rows == {}


def test_a_pending_retry_must_carry_its_message() -> None:
    with pytest.raises(ValueError, match="pending retry"):
        Triaged(
            dlq_sequence=1,
            dead_letter_id=None,
            original_subject="x.v1",
            service="s",
            consumer="c",
            kind="handler_error",
            error_name="TimeoutError",
            error_message="",
            event_id="e",
            decision=Retry(1, T0, "e.retry.1"),
            decided_at=T0,
        )
