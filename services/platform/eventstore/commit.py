"""The commit: one JetStream message holding what one decision of an aggregate produced.

A decision yields domain events (the aggregate's own history) and integration messages (what the rest
of the marketplace must hear). Storing them in one message makes the pair atomic without a second
store: either the commit is in the stream, and the relay will publish its outbox, or it is not, and
nothing happened. There is no dual write to get half right.

Wire format (JSON, camelCase like the contracts, written with orjson)::

    {
      "format": 1,
      "commitId": "0b6f…",                  # UUID; also the message's Nats-Msg-Id
      "aggregateType": "order",
      "aggregateId": "5d1e…",               # the last token of the subject es.<type>.<id>
      "causationId": "9c2a…" | null,        # event id of the message that caused the decision
      "committedAt": "2026-11-27T10:00:00.123456+00:00",
      "events": [
        {"eventId": "…", "type": "OrderPlaced", "version": 1,
         "occurredAt": "2026-11-27T10:00:00.123000+00:00", "data": {…}}
      ],
      "outbox": [
        {"messageId": "…", "subject": "order.created.v1", "stream": "ORDERS",
         "headers": {"event-id": "…", "Nats-Msg-Id": "…", …}, "body": "<base64 of the payload bytes>"}
      ]
    }

- `version` is the schema version of the event's `data`; upcasters raise old versions on load.
- The outbox holds messages exactly as the SDK's `Publisher.prepare()` produced them: validated,
  enveloped and, for sensitive fields, already encrypted. The body is base64 because it is bytes the
  relay must put on the wire unchanged, never re-encoded JSON.
- Readers ignore fields they do not know (a later writer may add some). `format` is raised only for a
  change old readers cannot ignore; a reader refuses a format newer than its own.
"""

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import orjson

from a4co_sdk._runtime.publishing import OutgoingMessage

__all__ = ["FORMAT", "Commit", "DomainEvent", "MalformedCommitError", "NewerFormatError", "OutboxMessage"]

FORMAT = 1
"""The commit format this module writes and the newest it reads."""


class MalformedCommitError(ValueError):
    """The bytes are not a commit this reader understands (the reason is the message)."""


class NewerFormatError(MalformedCommitError):
    """A commit written in a format newer than this reader's: this code is older than the writer's."""


def _new_id() -> str:
    return str(uuid4())


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """A fact in an aggregate's history: its `type`, the schema `version` of `data`, when it happened."""

    type: str
    data: Mapping[str, Any]
    version: int = 1
    event_id: str = field(default_factory=_new_id)
    occurred_at: datetime = field(default_factory=_now)

    def to_json(self) -> dict[str, Any]:
        return {
            "eventId": self.event_id,
            "type": self.type,
            "version": self.version,
            "occurredAt": self.occurred_at,
            "data": self.data,
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> "DomainEvent":
        return cls(
            type=_str(document, "type"),
            data=_object(document, "data"),
            version=_int(document, "version"),
            event_id=_str(document, "eventId"),
            occurred_at=_time(document, "occurredAt"),
        )


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """An integration message to publish once its commit is stored (an `OutgoingMessage`, frozen)."""

    message_id: str
    subject: str
    stream: str
    headers: Mapping[str, str]
    body: bytes

    @classmethod
    def from_outgoing(cls, message: OutgoingMessage) -> "OutboxMessage":
        return cls(
            str(message.message_id), message.subject, message.stream, dict(message.headers), message.body
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "messageId": self.message_id,
            "subject": self.subject,
            "stream": self.stream,
            "headers": self.headers,
            "body": base64.b64encode(self.body).decode("ascii"),
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> "OutboxMessage":
        headers = _object(document, "headers")
        if not all(isinstance(v, str) for v in headers.values()):
            raise MalformedCommitError("outbox headers must be strings")
        try:
            body = base64.b64decode(_str(document, "body"), validate=True)
        except binascii.Error as exc:
            raise MalformedCommitError(f"outbox body is not base64: {exc}") from None
        return cls(
            _str(document, "messageId"), _str(document, "subject"), _str(document, "stream"), headers, body
        )


@dataclass(frozen=True, slots=True)
class Commit:
    """What one append stores: the events of one decision and the messages it must publish."""

    aggregate_id: str
    aggregate_type: str
    events: tuple[DomainEvent, ...] = ()
    outbox: tuple[OutboxMessage, ...] = ()
    causation_id: str | None = None
    commit_id: str = field(default_factory=_new_id)
    committed_at: datetime = field(default_factory=_now)

    def encode(self) -> bytes:
        """The commit as stored (orjson; raises TypeError when event data is not JSON)."""
        return orjson.dumps(
            {
                "format": FORMAT,
                "commitId": self.commit_id,
                "aggregateType": self.aggregate_type,
                "aggregateId": self.aggregate_id,
                "causationId": self.causation_id,
                "committedAt": self.committed_at,
                "events": [event.to_json() for event in self.events],
                "outbox": [message.to_json() for message in self.outbox],
            }
        )

    @classmethod
    def decode(cls, raw: bytes) -> "Commit":
        """Read a stored commit; ValueError says what is wrong with it."""
        try:
            document = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise MalformedCommitError(f"not JSON: {exc}") from None
        if not isinstance(document, dict):
            raise MalformedCommitError("not a JSON object")
        version = _int(document, "format")
        if version > FORMAT:
            raise NewerFormatError(f"commit format {version} is newer than this reader's {FORMAT}")
        causation = document.get("causationId")
        if causation is not None and not isinstance(causation, str):
            raise MalformedCommitError("causationId must be a string or null")
        return cls(
            aggregate_id=_str(document, "aggregateId"),
            aggregate_type=_str(document, "aggregateType"),
            events=tuple(DomainEvent.from_json(e) for e in _list(document, "events")),
            outbox=tuple(OutboxMessage.from_json(m) for m in _list(document, "outbox")),
            causation_id=causation,
            commit_id=_str(document, "commitId"),
            committed_at=_time(document, "committedAt"),
        )


# -- strict field access: a commit with a field of the wrong type is corrupt, not half-read ---------------


def _field(document: Mapping[str, Any], name: str) -> Any:
    if not isinstance(document, dict):  # what orjson makes of an object (and cheaper than an ABC check)
        raise MalformedCommitError(f"expected an object holding {name!r}")
    try:
        return document[name]
    except KeyError:
        raise MalformedCommitError(f"missing {name!r}") from None


def _str(document: Mapping[str, Any], name: str) -> str:
    value = _field(document, name)
    if not isinstance(value, str):
        raise MalformedCommitError(f"{name!r} must be a string")
    return value


def _int(document: Mapping[str, Any], name: str) -> int:
    value = _field(document, name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedCommitError(f"{name!r} must be an integer")
    return value


def _object(document: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = _field(document, name)
    if not isinstance(value, dict):
        raise MalformedCommitError(f"{name!r} must be an object")
    return value


def _list(document: Mapping[str, Any], name: str) -> list[Any]:
    value = _field(document, name)
    if not isinstance(value, list):
        raise MalformedCommitError(f"{name!r} must be an array")
    return value


def _time(document: Mapping[str, Any], name: str) -> datetime:
    try:
        value = datetime.fromisoformat(_str(document, name))
    except ValueError as exc:
        raise MalformedCommitError(f"{name!r} is not an RFC 3339 time: {exc}") from None
    if value.tzinfo is None:
        raise MalformedCommitError(f"{name!r} has no offset")
    return value
