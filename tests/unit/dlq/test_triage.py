"""Triage: which dead letters are retried, when, under which id; which raise an alert, and why."""

from datetime import UTC, datetime, timedelta

import pytest

from services.dlq.domain.triage import (
    TRANSIENT_ERRORS,
    Alert,
    AlertReason,
    Failed,
    Retry,
    RetryPolicy,
    triage,
)

NOW = datetime(2026, 11, 20, 10, 15, tzinfo=UTC)
POLICY = RetryPolicy(max_retries=3, delays=(60.0, 300.0))
EVENT = "c031b340-f466-5072-b9cb-477b91567276"


def failed(
    kind: str = "handler_error",
    error: str = "TimeoutError",
    *,
    retries: int | None = 0,
    event_id: str | None = EVENT,
    republishable: bool = True,
) -> Failed:
    return Failed(kind, error, event_id, retries, republishable)


@pytest.mark.parametrize("error", sorted(TRANSIENT_ERRORS))
def test_a_transient_handler_error_is_retried_after_the_first_delay(error: str) -> None:
    assert triage(failed(error=error), POLICY, NOW) == Retry(
        1, NOW + timedelta(seconds=60), f"{EVENT}.retry.1"
    )


@pytest.mark.parametrize(
    "error", ["KeyError", "ValueError", "ValidationError", "IntegrityError", "Forbidden", "NotFound"]
)
def test_any_other_handler_error_raises_an_alert(error: str) -> None:
    assert triage(failed(error=error), POLICY, NOW) == Alert(AlertReason.PERMANENT_ERROR, 0)


@pytest.mark.parametrize(("kind", "reason"), [("undecodable", "undecodable"), ("invalid", "invalid")])
@pytest.mark.parametrize("error", ["TimeoutError", "DecodeError"])
def test_undecodable_and_invalid_messages_are_never_retried(kind: str, reason: str, error: str) -> None:
    assert triage(failed(kind, error), POLICY, NOW) == Alert(AlertReason(reason), 0)


def test_each_retry_waits_its_own_delay_and_the_last_delay_repeats() -> None:
    second = triage(failed(retries=1), POLICY, NOW)
    third = triage(failed(retries=2), POLICY, NOW)
    assert second == Retry(2, NOW + timedelta(seconds=300), f"{EVENT}.retry.2")
    assert third == Retry(3, NOW + timedelta(seconds=300), f"{EVENT}.retry.3")


def test_a_message_still_failing_after_every_retry_raises_an_alert() -> None:
    assert triage(failed(retries=3), POLICY, NOW) == Alert(AlertReason.RETRIES_EXHAUSTED, 3)
    assert triage(failed(retries=7), POLICY, NOW) == Alert(AlertReason.RETRIES_EXHAUSTED, 7)


def test_no_retries_at_all_when_the_policy_allows_none() -> None:
    assert triage(failed(), RetryPolicy(max_retries=0), NOW) == Alert(AlertReason.RETRIES_EXHAUSTED, 0)


@pytest.mark.parametrize(
    "what",
    [
        {"event_id": None},  # no id to derive the retry's Nats-Msg-Id from, nor for consumers to recognise
        {"retries": None},  # an unreadable retry count could loop for ever
        {"republishable": False},  # an event store's subject
    ],
)
def test_a_transient_failure_that_cannot_be_sent_again_safely_raises_an_alert(what: dict) -> None:
    decision = triage(failed(**what), POLICY, NOW)
    assert isinstance(decision, Alert)
    assert decision.reason is AlertReason.NOT_RETRIABLE


@pytest.mark.parametrize("options", [{"max_retries": -1}, {"delays": ()}, {"delays": (60.0, -1.0)}], ids=str)
def test_a_policy_that_makes_no_sense_is_refused(options: dict) -> None:
    with pytest.raises(ValueError, match="must be"):
        RetryPolicy(**options)
