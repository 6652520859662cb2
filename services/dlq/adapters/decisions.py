"""The decision log in SQL: one row per dead letter triaged, by its sequence in the DLQ stream.

The row is written in the consumer's transaction (with the inbox claim of the dead letter), and the
follow-up reads it after the commit. A pending retry keeps the message it will publish (headers and
body); once published they are dropped, so the table stays small: decisions and their outcome, pruned a
month after they were carried out (the DLQ stream keeps dead letters for 30 days).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    Uuid,
    delete,
    select,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from services.dlq.application.ports import DecisionLog, Triaged
from services.dlq.domain.redelivery import Redelivery
from services.dlq.domain.triage import Alert, AlertReason, Decision, Retry
from services.platform.database import Database, UtcDateTime, metadata

__all__ = ["SqlDecisionLog", "decisions", "open_decision_log"]

decisions = Table(
    "dlq_decisions",
    metadata,
    Column("dlq_sequence", BigInteger, primary_key=True, autoincrement=False),
    Column("dead_letter_id", Uuid, nullable=True),
    Column("original_subject", String(255), nullable=False),
    Column("service", String(60), nullable=False),
    Column("consumer", String(120), nullable=False),
    Column("failure_kind", String(20), nullable=False),
    Column("error_name", String(200), nullable=False),
    Column("error_message", Text, nullable=False),
    Column("event_id", Text, nullable=True),
    Column("decision", String(10), nullable=False),  # retry | alert
    Column("reason", String(40), nullable=True),  # an alert's reason
    Column("retries", Integer, nullable=False),  # automatic retries made before this dead letter
    Column("message_id", Text, nullable=True),  # a retry's Nats-Msg-Id
    Column("decided_at", UtcDateTime, nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("done_at", UtcDateTime, nullable=True),
    Column("headers", JSON, nullable=True),  # a pending retry's message
    Column("body", LargeBinary, nullable=True),
    Index(None, "done_at", "due_at"),  # the follow-up reads pending decisions by due time
)


class SqlDecisionLog(DecisionLog):
    """The decision log on the caller's session (and transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, dlq_sequence: int) -> Triaged | None:
        row = (
            await self._session.execute(select(decisions).where(decisions.c.dlq_sequence == dlq_sequence))
        ).one_or_none()
        return None if row is None else _triaged(row)

    async def add(self, triaged: Triaged) -> None:
        decision = triaged.decision
        sent = triaged.redelivery
        await self._session.execute(
            decisions.insert().values(
                dlq_sequence=triaged.dlq_sequence,
                dead_letter_id=triaged.dead_letter_id,
                original_subject=triaged.original_subject,
                service=triaged.service,
                consumer=triaged.consumer,
                failure_kind=triaged.kind,
                error_name=triaged.error_name,
                error_message=triaged.error_message,
                event_id=triaged.event_id,
                decision="retry" if isinstance(decision, Retry) else "alert",
                reason=decision.reason.value if isinstance(decision, Alert) else None,
                retries=triaged.retries,
                message_id=decision.message_id if isinstance(decision, Retry) else None,
                decided_at=triaged.decided_at,
                due_at=triaged.due_at,
                done_at=triaged.done_at,
                headers=sent.headers if sent is not None else None,
                body=sent.body if sent is not None else None,
            )
        )

    async def due(self, now: datetime, limit: int) -> list[Triaged]:
        rows = (
            await self._session.execute(
                select(decisions)
                .where(decisions.c.done_at.is_(None), decisions.c.due_at <= now)
                .order_by(decisions.c.due_at, decisions.c.dlq_sequence)
                .limit(limit)
            )
        ).all()
        return [_triaged(row) for row in rows]

    async def mark_done(self, dlq_sequences: list[int], at: datetime) -> None:
        if dlq_sequences:
            await self._session.execute(
                update(decisions)
                .where(decisions.c.dlq_sequence.in_(dlq_sequences))
                .values(done_at=at, headers=None, body=None)
            )

    async def postpone(self, dlq_sequence: int, until: datetime) -> None:
        await self._session.execute(
            update(decisions).where(decisions.c.dlq_sequence == dlq_sequence).values(due_at=until)
        )

    async def prune(self, before: datetime) -> int:
        result = await self._session.execute(
            delete(decisions).where(decisions.c.done_at.is_not(None), decisions.c.done_at < before)
        )
        count: int = result.rowcount  # type: ignore[attr-defined]  # a DELETE's result is a CursorResult
        return count


def _triaged(row: Row[Any]) -> Triaged:
    decision: Decision
    if row.decision == "retry":
        decision = Retry(row.retries + 1, row.due_at, row.message_id)
    else:
        decision = Alert(AlertReason(row.reason), row.retries)
    sent = (
        Redelivery(row.original_subject, row.body, dict(row.headers))
        if row.decision == "retry" and row.body is not None and row.headers is not None
        else None
    )
    return Triaged(
        dlq_sequence=row.dlq_sequence,
        dead_letter_id=row.dead_letter_id,
        original_subject=row.original_subject,
        service=row.service,
        consumer=row.consumer,
        kind=row.failure_kind,
        error_name=row.error_name,
        error_message=row.error_message,
        event_id=row.event_id,
        decision=decision,
        decided_at=row.decided_at,
        redelivery=sent,
        done_at=row.done_at,
    )


@asynccontextmanager
async def open_decision_log(db: Database) -> AsyncIterator[DecisionLog]:
    """The decision log in a transaction of its own (for the follow-up, outside any consumer's)."""
    async with db.transaction() as session:
        yield SqlDecisionLog(session)
