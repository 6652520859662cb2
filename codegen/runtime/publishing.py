"""Typed publishing to JetStream.

A publisher belongs to one send operation of the contract. It refuses a payload of the wrong type or one
that does not validate before anything leaves the process, fills the envelope, sends the message id as
`Nats-Msg-Id` (JetStream drops a duplicate inside the stream's window) and asks JetStream to store it in
the contract's stream (`Nats-Expected-Stream`), returning the stream's acknowledgement.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from uuid import UUID

import orjson
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import PubAck
from pydantic import BaseModel, ValidationError

from .context import MessageContext
from .envelope import build_headers
from .errors import ContractViolation, PublishError
from .model import wire_json
from .sensitive import FieldCipher, transform_fields
from .specs import MessageSpec, OperationSpec

if TYPE_CHECKING:
    import asyncio

__all__ = ["OutgoingMessage", "Publisher", "send"]

P = TypeVar("P", bound=BaseModel)

NATS_MSG_ID = "Nats-Msg-Id"


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message ready for the wire."""

    subject: str
    body: bytes
    headers: dict[str, str]
    message_id: UUID
    stream: str


class Publisher(Generic[P]):
    """Publishes the messages of one send operation."""

    def __init__(
        self,
        js: JetStreamContext,
        operation: OperationSpec,
        *,
        producer: str | None = None,
        cipher: FieldCipher | None = None,
        timeout: float = 5.0,
    ) -> None:
        if operation.action != "send":
            raise ValueError(f"{operation.id} is a {operation.action} operation, not a send operation")
        self._js = js
        self.operation = operation
        self._producer = producer or operation.service
        self._cipher = cipher
        self._timeout = timeout
        self._by_type: dict[type[BaseModel], MessageSpec[Any]] = {m.payload: m for m in operation.messages}

    def prepare(
        self,
        payload: P,
        *,
        message_id: UUID | None = None,
        occurred_at: datetime | None = None,
        context: MessageContext | None = None,
        headers: Mapping[str, str] | None = None,
        **params: str,
    ) -> OutgoingMessage:
        """Validate and encode a message without sending it."""
        spec = self._by_type.get(type(payload))
        if spec is None:
            allowed = ", ".join(sorted(t.__name__ for t in self._by_type))
            raise ContractViolation(
                f"{self.operation.id} sends {allowed} on {self.operation.channel.address}, "
                f"not {type(payload).__name__}"
            )
        body = wire_json(payload)
        try:
            # A model built with model_construct() or copied with update= skips validation; the bytes
            # that leave must still satisfy the contract.
            spec.payload.model_validate_json(body, strict=True)
        except ValidationError as exc:
            raise ContractViolation(f"{spec.name} does not satisfy the contract: {exc}") from None
        if self._cipher is not None and spec.sensitive:
            body = self._encrypt(spec, body)
        wire_headers, msg_id = build_headers(
            spec,
            payload,
            producer=self._producer,
            message_id=message_id,
            occurred_at=occurred_at,
            context=context,
            extra=headers,
        )
        wire_headers[NATS_MSG_ID] = str(msg_id)
        try:
            subject = self.operation.channel.subject(**params)
        except ValueError as exc:
            raise ContractViolation(str(exc)) from None
        return OutgoingMessage(subject, body, wire_headers, msg_id, self.operation.channel.stream)

    def _encrypt(self, spec: MessageSpec[Any], body: bytes) -> bytes:
        cipher = self._cipher
        assert cipher is not None
        document = orjson.loads(body)
        transform_fields(
            document,
            spec.sensitive,
            lambda value, path, cls: cipher.encrypt(value, path=path, classification=cls, message=spec.name),
        )
        return orjson.dumps(document)

    async def publish(
        self,
        payload: P,
        *,
        message_id: UUID | None = None,
        occurred_at: datetime | None = None,
        context: MessageContext | None = None,
        headers: Mapping[str, str] | None = None,
        **params: str,
    ) -> PubAck:
        """Send one message and wait until JetStream has stored it."""
        message = self.prepare(
            payload,
            message_id=message_id,
            occurred_at=occurred_at,
            context=context,
            headers=headers,
            **params,
        )
        return await send(self._js, message, timeout=self._timeout)

    async def publish_nowait(
        self,
        payload: P,
        *,
        message_id: UUID | None = None,
        occurred_at: datetime | None = None,
        context: MessageContext | None = None,
        headers: Mapping[str, str] | None = None,
        **params: str,
    ) -> "asyncio.Future[PubAck]":
        """Send one message without waiting for its acknowledgement (pipelined publishing).

        Await the returned future, or `JetStreamContext.publish_async_completed()`, to know it was stored.
        """
        message = self.prepare(
            payload,
            message_id=message_id,
            occurred_at=occurred_at,
            context=context,
            headers=headers,
            **params,
        )
        return await self._js.publish_async(
            message.subject, message.body, headers=message.headers, stream=message.stream
        )


async def send(js: JetStreamContext, message: OutgoingMessage, *, timeout: float = 5.0) -> PubAck:  # noqa: ASYNC109 - the request timeout nats-py applies
    """Send a prepared message and wait for JetStream's acknowledgement."""
    try:
        return await js.publish(
            message.subject, message.body, timeout=timeout, stream=message.stream, headers=message.headers
        )
    except NatsError as exc:
        raise PublishError(
            f"JetStream did not store {message.subject} ({type(exc).__name__}: {exc})",
            subject=message.subject,
        ) from exc
