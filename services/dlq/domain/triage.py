"""Triage: is a dead letter tried again later, or does it need a person (an alert)?

Only a handler that kept failing for a reason outside the message — a timeout, a lost connection, a busy
database, a peer answering 503 — is worth trying again: the same message may well succeed once the cause
has gone, and the consumer's own redeliveries (about two minutes of backoff) were too short for it. A
message that cannot be decoded, that does not match its schema, or whose handler failed for any other
reason (a bug, a broken rule) fails the same way every time: retrying it only repeats the failure, so it
raises an alert, and a person fixes the cause and replays it (`a4co dlq replay`). Decision 010.
"""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "TRANSIENT_ERRORS",
    "Alert",
    "AlertReason",
    "Decision",
    "Failed",
    "Retry",
    "RetryPolicy",
    "is_transient",
    "retry_message_id",
    "triage",
]

TRANSIENT_ERRORS: frozenset[str] = frozenset(
    {
        # Python: time ran out, or a connection failed (the builtin family, also redis' and httpx's names).
        "TimeoutError",
        "ConnectionError",
        "ConnectionRefusedError",
        "ConnectionResetError",
        "ConnectionAbortedError",
        "BrokenPipeError",
        # SQLAlchemy: the database is down, restarting, locked or out of connections.
        "OperationalError",
        "DisconnectionError",
        # nats-py: no server, no responder, or a JetStream stream without a leader for a moment.
        "NoServersError",
        "NoRespondersError",
        "ServiceUnavailableError",
        "NoStreamResponseError",
        # The SDK: JetStream did not store a message; an HTTP peer was unavailable, overloaded or slow.
        "PublishError",
        "ServiceUnavailable",
        "GatewayTimeout",
        "TooManyRequests",
        "TransportError",
        "TransportTimeout",
        # The platform's circuit breaker: a peer failed often enough to be left alone for a while.
        "CircuitOpenError",
        # The event store: the store did not answer, or another writer won a race on the same aggregate.
        "StoreUnavailableError",
        "ConcurrencyError",
    }
)
"""Names (`type(error).__name__`, as a dead letter records them) of errors that go away by themselves.

A dead letter records the error's class name, not its module, so a name here covers every library's class
of that name: `TimeoutError` is the builtin (asyncio's), nats-py's, redis' and SQLAlchemy's pool timeout.
Add a name only when retrying the same message later can succeed without any change to code, contracts
or data.
"""


def is_transient(error_name: str) -> bool:
    return error_name in TRANSIENT_ERRORS


class AlertReason(enum.StrEnum):
    """The `reason` label of `a4co_alerts_total`."""

    UNDECODABLE = "undecodable"
    """The body is not JSON, a sensitive field cannot be opened, or the message has no id."""
    INVALID = "invalid"
    """The message does not match its schema."""
    PERMANENT_ERROR = "permanent_error"
    """The handler failed with an error that is not transient."""
    RETRIES_EXHAUSTED = "retries_exhausted"
    """A transient failure that is still failing after every automatic retry."""
    NOT_RETRIABLE = "not_retriable"
    """A transient failure that cannot be sent again safely: no event id, an unreadable retry count, or a
    subject outside the public streams (an event store is appended to by its owner only)."""
    RETRY_REFUSED = "retry_refused"
    """JetStream refused the retry (for example its stream changed since the message was published)."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often, and after how long, transient failures are tried again.

    Retry `n` (1-based) waits `delays[n - 1]`, or the last delay when there are fewer delays than retries.
    """

    max_retries: int = 3
    delays: tuple[float, ...] = (60.0, 300.0, 900.0)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, not {self.max_retries}")
        if not self.delays or any(delay < 0 for delay in self.delays):
            raise ValueError(f"delays must be one or more non-negative seconds, not {self.delays!r}")

    def delay(self, number: int) -> timedelta:
        return timedelta(seconds=self.delays[min(number, len(self.delays)) - 1])


@dataclass(frozen=True, slots=True)
class Failed:
    """What triage needs to know about a dead letter."""

    kind: str
    """undecodable | invalid | handler_error (the contract's DeadLetterFailureKind)."""
    error_name: str
    event_id: str | None
    """The failed message's own id (its `event-id` header); None when it had none."""
    retries: int | None
    """Automatic retries already made (its `a4co-dlq-retries` header, 0 without one); None when unreadable."""
    republishable: bool
    """Its subject belongs to a public stream of the contract."""


@dataclass(frozen=True, slots=True)
class Retry:
    """Send the failed message again at `due_at`, as retry `number`, under JetStream id `message_id`."""

    number: int
    due_at: datetime
    message_id: str


@dataclass(frozen=True, slots=True)
class Alert:
    """Tell a person; nothing is sent again automatically."""

    reason: AlertReason
    retries: int


Decision = Retry | Alert


def retry_message_id(event_id: str, number: int) -> str:
    """The retry's `Nats-Msg-Id`: new, so JetStream's duplicate window cannot swallow it, and the same
    for every copy of this retry, so a retry republished after a crash is dropped as a duplicate."""
    return f"{event_id}.retry.{number}"


def triage(failed: Failed, policy: RetryPolicy, now: datetime) -> Decision:
    """Retry a transient handler error (up to `policy.max_retries` times); alert on everything else."""
    if failed.kind == "undecodable":
        return Alert(AlertReason.UNDECODABLE, failed.retries or 0)
    if failed.kind == "invalid":
        return Alert(AlertReason.INVALID, failed.retries or 0)
    if not is_transient(failed.error_name):
        return Alert(AlertReason.PERMANENT_ERROR, failed.retries or 0)
    if failed.retries is None or failed.event_id is None or not failed.republishable:
        return Alert(AlertReason.NOT_RETRIABLE, failed.retries or 0)
    if failed.retries >= policy.max_retries:
        return Alert(AlertReason.RETRIES_EXHAUSTED, failed.retries)
    number = failed.retries + 1
    return Retry(number, now + policy.delay(number), retry_message_id(failed.event_id, number))
