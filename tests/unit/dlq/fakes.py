"""In-memory fakes of the DLQ processor's ports."""

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from services.dlq.application.ports import DecisionLog, Reporter, Republisher, Triaged
from services.dlq.domain.redelivery import Redelivery
from services.dlq.domain.triage import AlertReason, Retry


class InMemoryDecisionLog(DecisionLog):
    def __init__(self) -> None:
        self.rows: dict[int, Triaged] = {}

    async def get(self, dlq_sequence: int) -> Triaged | None:
        return self.rows.get(dlq_sequence)

    async def add(self, triaged: Triaged) -> None:
        assert triaged.dlq_sequence not in self.rows, "a dead letter is recorded once"
        self.rows[triaged.dlq_sequence] = triaged

    async def due(self, now: datetime, limit: int) -> list[Triaged]:
        pending = [t for t in self.rows.values() if t.done_at is None and t.due_at <= now]
        return sorted(pending, key=lambda t: (t.due_at, t.dlq_sequence))[:limit]

    async def mark_done(self, dlq_sequences: list[int], at: datetime) -> None:
        for seq in dlq_sequences:
            self.rows[seq] = dataclasses.replace(self.rows[seq], done_at=at, redelivery=None)

    async def postpone(self, dlq_sequence: int, until: datetime) -> None:
        triaged = self.rows[dlq_sequence]
        decision = triaged.decision
        assert isinstance(decision, Retry), "only retries are postponed"
        self.rows[dlq_sequence] = dataclasses.replace(
            triaged, decision=dataclasses.replace(decision, due_at=until)
        )

    async def prune(self, before: datetime) -> int:
        old = [s for s, t in self.rows.items() if t.done_at is not None and t.done_at < before]
        for seq in old:
            del self.rows[seq]
        return len(old)

    @asynccontextmanager
    async def opened(self) -> AsyncIterator[DecisionLog]:
        yield self


class FakeRepublisher(Republisher):
    def __init__(self) -> None:
        self.published: list[Redelivery] = []
        self.forgotten: list[int] = []
        self.failure: Exception | None = None

    async def publish(self, redelivery: Redelivery) -> None:
        if self.failure is not None:
            raise self.failure
        self.published.append(redelivery)

    async def forget(self, dlq_sequence: int) -> None:
        self.forgotten.append(dlq_sequence)


class FakeReporter(Reporter):
    def __init__(self) -> None:
        self.alerts: list[tuple[int, AlertReason, str]] = []
        self.retries: list[int] = []

    def alert(self, triaged: Triaged, reason: AlertReason, detail: str) -> None:
        self.alerts.append((triaged.dlq_sequence, reason, detail))

    def retried(self, triaged: Triaged) -> None:
        self.retries.append(triaged.dlq_sequence)
