"""Sending a failed message again: same body and event id, a new Nats-Msg-Id, the retry count."""

import base64

import pytest

from services.dlq.domain.redelivery import (
    original_body,
    redelivery,
    replay_message_id,
    retries_made,
)

HEADERS = {
    "event-id": "c031b340-f466-5072-b9cb-477b91567276",
    "Nats-Msg-Id": "c031b340-f466-5072-b9cb-477b91567276",
    "Nats-Expected-Stream": "PAYMENTS",
    "Nats-Expected-Last-Subject-Sequence": "41",
    "correlation-id": "02c246d6-b51e-5ffd-8a6f-8c5beaea4094",
}


def test_a_retry_keeps_the_envelope_and_changes_only_the_msg_id_and_the_count() -> None:
    sent = redelivery("payment.requested.v1", b"{}", HEADERS, message_id="c031.retry.1", retries=1)
    assert sent.subject == "payment.requested.v1"
    assert sent.body == b"{}"
    assert sent.message_id == "c031.retry.1"
    assert sent.headers == {
        "event-id": HEADERS["event-id"],
        "Nats-Msg-Id": "c031.retry.1",
        "Nats-Expected-Stream": "PAYMENTS",  # still the right stream
        "correlation-id": HEADERS["correlation-id"],
        "a4co-dlq-retries": "1",
    }


def test_a_replay_starts_the_retry_count_afresh_and_says_where_it_came_from() -> None:
    retried = {**HEADERS, "a4co-dlq-retries": "3"}
    sent = redelivery("x.v1", b"", retried, message_id=replay_message_id("c031", 88), replayed_from=88)
    assert "a4co-dlq-retries" not in sent.headers
    assert sent.headers["a4co-dlq-replayed-from"] == "88"
    assert sent.headers["Nats-Msg-Id"] == "c031.replay.88"


def test_a_message_without_an_event_id_is_replayed_under_its_dlq_sequence() -> None:
    assert replay_message_id(None, 88) == "dlq-replay.88"
    assert replay_message_id("", 88) == "dlq-replay.88"


@pytest.mark.parametrize(
    ("value", "count"), [(None, 0), ("0", 0), ("2", 2), ("two", None), ("-1", None), ("", None)]
)
def test_the_retry_count_is_read_from_its_header(value: str | None, count: int | None) -> None:
    headers = {} if value is None else {"a4co-dlq-retries": value}
    assert retries_made(headers) == count


def test_the_original_body_comes_back_byte_for_byte() -> None:
    raw = b"\xff\x00not utf-8"
    assert original_body(base64.b64encode(raw).decode(), "base64") == raw
    assert original_body('{"a": "ñ"}', "utf-8") == '{"a": "ñ"}'.encode()
    with pytest.raises(ValueError, match="not valid base64"):
        original_body("***", "base64")
    with pytest.raises(ValueError, match="unknown body encoding"):
        original_body("x", "gzip")
