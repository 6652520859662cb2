"""The ports of the dead letter processor, and the record it keeps of every dead letter it triaged.

`DecisionLog` is the processor's memory (SQL in the service, in memory in unit tests): one `Triaged` per
dead letter, by its sequence in the DLQ stream, so a dead letter delivered again — after a restart, a
consumer reset — is never triaged, retried or alerted twice. `Republisher` sends a message again and
removes a dead letter from the DLQ stream; `Reporter` tells operations (log line and metrics).
"""

import abc
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.dlq.domain.redelivery import Redelivery
from services.dlq.domain.triage import Alert, AlertReason, Decision, Retry

__all__ = ["DecisionLog", "Reporter", "Republisher", "RetryRefusedError", "Triaged"]


@dataclass(frozen=True, slots=True)
class Triaged:
    """A dead letter and what was decided about it; `done_at` is set once the decision was carried out."""

    dlq_sequence: int
    dead_letter_id: UUID | None
    original_subject: str
    service: str
    consumer: str
    kind: str
    error_name: str
    error_message: str
    event_id: str | None
    decision: Decision
    decided_at: datetime
    redelivery: Redelivery | None = None
    """The message a retry publishes; None for an alert, and once the retry was published."""
    done_at: datetime | None = None

    def __post_init__(self) -> None:
        retry = isinstance(self.decision, Retry)
        if retry and self.redelivery is None and self.done_at is None:
            raise ValueError("a pending retry needs the message it sends again")
        if not retry and self.redelivery is not None:
            raise ValueError("only a retry sends a message again")

    @property
    def due_at(self) -> datetime:
        """When to carry the decision out: a retry after its delay, an alert at once."""
        return self.decision.due_at if isinstance(self.decision, Retry) else self.decided_at

    @property
    def retries(self) -> int:
        """Automatic retries made before this dead letter."""
        decision = self.decision
        return decision.retries if isinstance(decision, Alert) else decision.number - 1


class DecisionLog(abc.ABC):
    """Dead letters triaged, and the decisions not carried out yet."""

    @abc.abstractmethod
    async def get(self, dlq_sequence: int) -> Triaged | None: ...

    @abc.abstractmethod
    async def add(self, triaged: Triaged) -> None:
        """Record a new decision (its DLQ sequence must not be recorded yet)."""

    @abc.abstractmethod
    async def due(self, now: datetime, limit: int) -> list[Triaged]:
        """Decisions not carried out whose time has come, oldest first."""

    @abc.abstractmethod
    async def mark_done(self, dlq_sequences: list[int], at: datetime) -> None:
        """The decisions were carried out (a published retry's message is not kept)."""

    @abc.abstractmethod
    async def postpone(self, dlq_sequence: int, until: datetime) -> None:
        """Carry the decision out later: its retry could not be published now."""

    @abc.abstractmethod
    async def prune(self, before: datetime) -> int:
        """Forget decisions carried out before `before` (their dead letters are gone from the stream by
        then); return how many were forgotten."""


class RetryRefusedError(Exception):
    """The stream answered and refused the message (it is not a passing failure: do not try again)."""


class Republisher(abc.ABC):
    """JetStream, as the processor uses it."""

    @abc.abstractmethod
    async def publish(self, redelivery: Redelivery) -> None:
        """Publish and wait until the stream stored it (or recognised it as a duplicate).

        Raises `RetryRefusedError` when the stream refused it, any other exception when it could not be
        asked (no connection, no answer in time): that is worth another try later.
        """

    @abc.abstractmethod
    async def forget(self, dlq_sequence: int) -> None:
        """Remove the dead letter from the DLQ stream; one already gone is fine."""


class Reporter(abc.ABC):
    """What operations sees."""

    @abc.abstractmethod
    def alert(self, triaged: Triaged, reason: AlertReason, detail: str) -> None:
        """Raise an alert about a dead letter nobody will retry automatically."""

    @abc.abstractmethod
    def retried(self, triaged: Triaged) -> None:
        """A retry was published."""
