"""Sending a dead-lettered message again: the original body and headers, under a new JetStream id.

Both an automatic retry and an operator's replay publish the message exactly as it was received, to the
subject it was received on, so every consumer of that subject sees it again. Three headers change:

- `Nats-Msg-Id` is new (`<event-id>.retry.<n>`, `<event-id>.replay.<dlq sequence>`): the original id is
  still inside the stream's duplicate window for the first two minutes, and JetStream would drop the
  copy. `event-id` stays, so consumers that processed the message already recognise it (inbox) and the
  failed consumer processes it as the same event.
- `a4co-dlq-retries` counts the automatic retries, so the next dead letter of this message knows how many
  were made; a replay removes it, so a replayed message gets the full set of automatic retries again.
- JetStream's optimistic concurrency conditions (`Nats-Expected-Last-*`) are dropped: they held against
  the stream as it was when the message was first published, never later.
"""

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "NATS_MSG_ID",
    "REPLAYED_FROM_HEADER",
    "RETRIES_HEADER",
    "Redelivery",
    "original_body",
    "redelivery",
    "replay_message_id",
    "retries_made",
]

NATS_MSG_ID = "Nats-Msg-Id"
RETRIES_HEADER = "a4co-dlq-retries"
REPLAYED_FROM_HEADER = "a4co-dlq-replayed-from"
_CONDITIONS = (
    "Nats-Expected-Last-Sequence",
    "Nats-Expected-Last-Subject-Sequence",
    "Nats-Expected-Last-Msg-Id",
)


@dataclass(frozen=True, slots=True)
class Redelivery:
    """A failed message ready to be published again."""

    subject: str
    body: bytes
    headers: dict[str, str]

    @property
    def message_id(self) -> str:
        return self.headers[NATS_MSG_ID]


def retries_made(headers: Mapping[str, str]) -> int | None:
    """Automatic retries a message has had (0 when it has none); None when the header is not a count."""
    value = headers.get(RETRIES_HEADER)
    if value is None:
        return 0
    try:
        count = int(value)
    except ValueError:
        return None
    return count if count >= 0 else None


def original_body(body: str, encoding: str) -> bytes:
    """The body's bytes, from a dead letter's text (`utf-8`) or base64 (`base64`); ValueError otherwise."""
    if encoding == "utf-8":
        return body.encode()
    if encoding == "base64":
        try:
            return base64.b64decode(body, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"the body is not valid base64: {exc}") from None
    raise ValueError(f"unknown body encoding {encoding!r}")


def replay_message_id(event_id: str | None, dlq_sequence: int) -> str:
    """A replay's `Nats-Msg-Id`: one per dead letter, so replaying one twice in a row stores it once."""
    return f"{event_id}.replay.{dlq_sequence}" if event_id else f"dlq-replay.{dlq_sequence}"


def redelivery(
    subject: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    message_id: str,
    retries: int | None = None,
    replayed_from: int | None = None,
) -> Redelivery:
    """The message to publish: `retries` sets the retry count, None removes it (a replay)."""
    sent = {
        name: value
        for name, value in headers.items()
        if name not in _CONDITIONS and name not in (NATS_MSG_ID, RETRIES_HEADER, REPLAYED_FROM_HEADER)
    }
    sent[NATS_MSG_ID] = message_id
    if retries is not None:
        sent[RETRIES_HEADER] = str(retries)
    if replayed_from is not None:
        sent[REPLAYED_FROM_HEADER] = str(replayed_from)
    return Redelivery(subject, body, sent)
