"""Receiving: route a delivered message to its operation, decode it, run the handler, decide the outcome.

This is the core every consumer binding shares (the FastStream binding in `faststream_binding`, and any
batch consumer a service builds). It never raises for a bad message: an undecodable or invalid message is
a `DEAD` outcome at once (retrying cannot fix it), a failing handler is `RETRY` with the contract's
backoff until the consumer's last delivery, then `DEAD`. Messages the consumer receives that no operation
of this service handles are `SKIP`ped (acknowledged), as the contract allows for shared consumers.
"""

import base64
import enum
import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Literal, Protocol, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from .context import use_context
from .envelope import ReceivedEnvelope, read_envelope
from .errors import DecodeError, MissingHandlers
from .model import read_model, read_model_json
from .sensitive import FieldCipher, transform_fields
from .specs import ConsumerSpec, MessageSpec, OperationSpec

__all__ = [
    "DeadLetterSink",
    "Delivery",
    "Dispatcher",
    "Failure",
    "Outcome",
    "Received",
    "Route",
    "Verdict",
    "build_routes",
    "settle",
    "subject_matches",
]

P = TypeVar("P", bound=BaseModel)

log = logging.getLogger(__name__)


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: `*` is one token, a trailing `>` one or more."""
    wanted, given = pattern.split("."), subject.split(".")
    for i, part in enumerate(wanted):
        if part == ">":
            return len(given) > i
        if i >= len(given) or (part not in ("*", given[i])):
            return False
    return len(wanted) == len(given)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One delivery of a message by a JetStream consumer."""

    subject: str
    body: bytes
    headers: Mapping[str, str]
    attempt: int = 1
    stream_sequence: int = 0


@dataclass(frozen=True, slots=True)
class Received(Generic[P]):
    """A decoded, validated message handed to a handler."""

    payload: P
    headers: BaseModel | None
    envelope: ReceivedEnvelope
    operation: OperationSpec
    message: MessageSpec[Any]
    delivery: Delivery


Handler = Callable[[Any, Received[Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Route:
    """A receive operation and the function that handles it."""

    operation: OperationSpec
    handler: Handler


class Verdict(enum.Enum):
    ACK = "ack"
    SKIP = "skip"
    RETRY = "retry"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a message could not be processed: what a dead letter records."""

    kind: str  # undecodable | invalid | handler_error
    error: BaseException
    delivery: Delivery
    consumer: str
    service: str
    stack: str = ""
    failed_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def body_text(self) -> tuple[str, str]:
        """The original body as UTF-8 text, or base64 when it is not UTF-8: (text, encoding)."""
        try:
            return self.delivery.body.decode(), "utf-8"
        except UnicodeDecodeError:
            return base64.b64encode(self.delivery.body).decode(), "base64"


@dataclass(frozen=True, slots=True)
class Outcome:
    verdict: Verdict
    delay: float = 0.0
    failure: Failure | None = None


class DeadLetterSink(Protocol):
    """Where failed messages go (the platform publishes them to the dead letter stream)."""

    async def dead_letter(self, failure: Failure) -> None: ...


class Dispatcher:
    """Routes the deliveries of one consumer to the handlers of one service."""

    def __init__(
        self,
        *,
        service: str,
        consumer: ConsumerSpec,
        routes: Sequence[Route],
        cipher: FieldCipher | None = None,
    ) -> None:
        self.service = service
        self.consumer = consumer
        self._routes = list(routes)
        self._cipher = cipher
        self._by_subject: dict[str, Route | None] = {}

    def route_for(self, subject: str) -> Route | None:
        try:
            return self._by_subject[subject]
        except KeyError:
            route = next(
                (r for r in self._routes if subject_matches(r.operation.channel.filter_subject, subject)),
                None,
            )
            if len(self._by_subject) < 10_000:  # subjects with parameters are unbounded
                self._by_subject[subject] = route
            return route

    def envelope(self, route: Route, delivery: Delivery) -> ReceivedEnvelope:
        """What the headers say about the message (its id, its flow), before anything is validated."""
        return read_envelope(route.operation.messages[0].header_roles, delivery.headers)

    def decode(
        self, route: Route, delivery: Delivery, envelope: ReceivedEnvelope | None = None
    ) -> Received[Any]:
        """Decode and validate; raises DecodeError. `envelope`: `self.envelope(…)`, when already read."""
        operation = route.operation
        messages = operation.messages
        if envelope is None:
            envelope = self.envelope(route, delivery)
        message = self._pick_message(messages, delivery)
        kind: Literal["undecodable", "invalid"]
        try:
            if self._cipher is not None and message.sensitive:
                payload = read_model_json(message.payload, self._decrypt(message, delivery.body))
            else:
                payload = read_model_json(message.payload, delivery.body)
        except ValidationError as exc:
            kind = "undecodable" if any(e["type"] == "json_invalid" for e in exc.errors()) else "invalid"
            raise DecodeError(f"{message.name}: {exc}", kind=kind, subject=delivery.subject) from exc
        except ValueError as exc:  # not JSON at all, or a token the cipher cannot open
            raise DecodeError(f"{message.name}: {exc}", kind="undecodable", subject=delivery.subject) from exc
        headers_model = None
        try:
            if message.headers is not None:
                headers_model = read_model(message.headers, dict(delivery.headers))
        except ValidationError as exc:
            # Without its id a message cannot be told apart from any other, so it is not a message of the
            # contract at all; wrong values in headers that are there make it an invalid one.
            kind = "undecodable" if envelope.message_id is None else "invalid"
            message_text = f"headers of {message.name} do not satisfy the contract: {exc}"
            raise DecodeError(message_text, kind=kind, subject=delivery.subject) from exc
        return Received(payload, headers_model, envelope, operation, message, delivery)

    def _pick_message(self, messages: Sequence[MessageSpec[Any]], delivery: Delivery) -> MessageSpec[Any]:
        if len(messages) == 1:
            return messages[0]
        name_header = messages[0].header_roles.get("message-name")
        name = delivery.headers.get(name_header) if name_header else None
        for message in messages:
            if name is not None and name in (message.event_name, message.name):
                return message
        for message in messages:  # no name on the wire: the first message whose schema accepts the body
            try:
                read_model_json(message.payload, delivery.body)
            except ValidationError:
                continue
            return message
        raise DecodeError(
            f"no message of {delivery.subject} matches the body", kind="invalid", subject=delivery.subject
        )

    def _decrypt(self, message: MessageSpec[Any], body: bytes) -> bytes:
        cipher = self._cipher
        assert cipher is not None
        document = orjson.loads(body)
        if not isinstance(document, dict):
            raise ValueError("the body is not a JSON object")  # noqa: TRY004 - reported as undecodable
        transform_fields(
            document,
            message.sensitive,
            lambda v, path, cls: cipher.decrypt(v, path=path, classification=cls, message=message.name),
        )
        return orjson.dumps(document)

    def prepare(self, delivery: Delivery) -> tuple[Route, Received[Any]] | Outcome:
        """Route and decode one delivery: what to run, or the outcome when there is nothing to run."""
        route = self.route_for(delivery.subject)
        if route is None:
            return Outcome(Verdict.SKIP)
        try:
            return route, self.decode(route, delivery)
        except DecodeError as exc:
            return Outcome(Verdict.DEAD, failure=self.failure(exc.kind, exc, delivery))

    async def run(self, route: Route, received: Received[Any]) -> None:
        """Call the handler in the context of the received message (what it publishes inherits it)."""
        with use_context(received.envelope.context()):
            await route.handler(received.payload, received)

    def handler_failed(self, exc: BaseException, delivery: Delivery) -> Outcome:
        """Retry with the contract's backoff, or dead-letter on the consumer's last delivery."""
        if self.consumer.max_deliver > 0 and delivery.attempt >= self.consumer.max_deliver:
            return Outcome(Verdict.DEAD, failure=self.failure("handler_error", exc, delivery))
        return Outcome(Verdict.RETRY, delay=self.consumer.retry_delay(delivery.attempt))

    def failure(self, kind: str, exc: BaseException, delivery: Delivery) -> Failure:
        stack = "".join(traceback.format_exception(exc))
        return Failure(kind, exc, delivery, self.consumer.name, self.service, stack=stack)

    async def dispatch(self, delivery: Delivery) -> Outcome:
        """Process one delivery and say what to do with it. Never raises for a bad message."""
        prepared = self.prepare(delivery)
        if isinstance(prepared, Outcome):
            return prepared
        try:
            await self.run(*prepared)
        except Exception as exc:  # noqa: BLE001 - any handler error is retried, then dead-lettered
            return self.handler_failed(exc, delivery)
        return Outcome(Verdict.ACK)


DEAD_LETTER_RETRY_DELAY = 5.0


async def settle(
    outcome: Outcome,
    *,
    ack: Callable[[], Awaitable[object]],
    nak: Callable[[float], Awaitable[object]],
    term: Callable[[], Awaitable[object]],
    dead_letters: DeadLetterSink | None,
) -> None:
    """Carry out an outcome with a binding's own acknowledgement calls.

    A message is terminated only once its dead letter is stored: if the dead letter queue cannot take it,
    the message is nak'ed and comes back later, so nothing is lost.
    """
    if outcome.verdict in (Verdict.ACK, Verdict.SKIP):
        await ack()
        return
    if outcome.verdict is Verdict.RETRY:
        await nak(outcome.delay)
        return
    failure = outcome.failure
    assert failure is not None
    if dead_letters is None:
        log.error("no dead letter queue; terminating %s: %s", failure.delivery.subject, failure.error)
    else:
        try:
            await dead_letters.dead_letter(failure)
        except Exception:
            log.exception("could not dead-letter %s; it will be redelivered", failure.delivery.subject)
            await nak(DEAD_LETTER_RETRY_DELAY)
            return
    await term()


def build_routes(
    service: str,
    operations: Sequence[OperationSpec],
    handlers: Mapping[str, Handler | None],
) -> dict[str, list[Route]]:
    """Routes per consumer name; raises MissingHandlers naming every receive operation left unhandled."""
    missing = [op.id for op in operations if op.action == "receive" and handlers.get(op.id) is None]
    if missing:
        raise MissingHandlers(service, missing)
    routes: dict[str, list[Route]] = {}
    for op in operations:
        handler = handlers.get(op.id)
        if op.action != "receive" or op.consumer is None or handler is None:
            continue
        routes.setdefault(op.consumer.name, []).append(Route(op, handler))
    return routes
