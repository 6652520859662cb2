"""Filling and reading the envelope a message carries in its headers.

Which header carries which role (message id, correlation id, traceparent, ...) comes from the contract
(`x-a4co-envelope` on each header property), so the same code serves any contract.
"""

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel, ValidationError

from .context import MessageContext, child_traceparent, current_context
from .errors import ContractViolation
from .specs import HeaderRole, MessageSpec

__all__ = ["ReceivedEnvelope", "build_headers", "new_message_id", "read_envelope"]


def new_message_id() -> UUID:
    """A new message id: a UUID version 7 (RFC 9562), milliseconds since the epoch then 74 random bits.

    Ids that grow with time land next to each other in every index keyed by them, the consumers' inboxes
    first of all: with random ids an inbox claim on SQLite cost 12 µs an id in an empty table and 25 µs
    at 150,000 ids (a 4 KiB page written per id), with these a flat 5 µs. The random bits keep the ids
    of one millisecond apart.
    """
    millis = time.time_ns() // 1_000_000
    rand_a, rand_b = divmod(int.from_bytes(os.urandom(10)) >> 6, 1 << 62)  # 12 and 62 random bits
    version, variant = 0x7, 0b10
    return UUID(int=millis << 80 | version << 76 | rand_a << 64 | variant << 62 | rand_b)


def build_headers(
    spec: MessageSpec[Any],
    payload: BaseModel,
    *,
    producer: str,
    message_id: UUID | None = None,
    occurred_at: datetime | None = None,
    context: MessageContext | None = None,
    extra: Mapping[str, str] | None = None,
) -> tuple[dict[str, str], UUID]:
    """Headers of an outgoing message, validated against the message's headers schema."""
    msg_id = message_id or new_message_id()
    msg_text = str(msg_id)
    ctx = context or current_context()
    roles = spec.header_roles
    values: dict[str, str | None] = {
        "message-id": msg_text,
        "message-name": spec.event_name,
        "schema-version": str(spec.version),
        "aggregate-type": spec.aggregate_type,
        "aggregate-id": (
            str(getattr(payload, spec.aggregate_id_field)) if spec.aggregate_id_field is not None else None
        ),
        "occurred-at": (occurred_at or datetime.now(UTC)).isoformat(),
        "correlation-id": str(ctx.correlation_id) if ctx is not None else msg_text,
        "causation-id": str(ctx.causation_id) if ctx is not None and ctx.causation_id is not None else None,
        "producer": producer,
        "traceparent": child_traceparent(ctx.traceparent if ctx is not None else None),
        "tracestate": ctx.tracestate if ctx is not None else None,
    }
    headers = {name: value for role, name in roles.items() if (value := values.get(role)) is not None}
    if extra:
        headers.update(extra)
    if spec.headers is not None:
        try:
            spec.headers.model_validate(headers)
        except ValidationError as exc:
            raise ContractViolation(f"headers of {spec.name} do not satisfy the contract: {exc}") from None
    return headers, msg_id


@dataclass(frozen=True, slots=True)
class ReceivedEnvelope:
    """What a subscriber knows about a message from its headers alone."""

    message_id: UUID | None
    correlation_id: UUID | None
    traceparent: str | None
    tracestate: str | None
    headers: Mapping[str, str]

    def context(self) -> MessageContext:
        """The context for work caused by this message."""
        return MessageContext(
            correlation_id=self.correlation_id or self.message_id or uuid4(),
            causation_id=self.message_id,
            traceparent=self.traceparent,
            tracestate=self.tracestate,
        )


def _uuid_or_none(value: str | None) -> UUID | None:
    if value is None:
        return None
    try:
        return UUID(value)
    except ValueError:
        return None


def read_envelope(roles: Mapping[HeaderRole, str], headers: Mapping[str, str] | None) -> ReceivedEnvelope:
    """Read the envelope roles from received headers; never raises (validation happens later)."""
    headers = headers or {}
    return ReceivedEnvelope(
        message_id=_uuid_or_none(headers.get(roles.get("message-id", ""))),
        correlation_id=_uuid_or_none(headers.get(roles.get("correlation-id", ""))),
        traceparent=headers.get(roles.get("traceparent", "")),
        tracestate=headers.get(roles.get("tracestate", "")),
        headers=headers,
    )
