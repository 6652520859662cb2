"""The inbox: which messages each consumer has already processed.

JetStream delivers at least once: a message whose acknowledgement was lost, or that waited longer than
the consumer's ack wait, comes again. `claim` writes the message id in the same transaction as the
message's effects, so the two commit or vanish together, and a redelivered message finds its id there
and is acknowledged without running its handler again.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import Column, Index, String, Table, Uuid, delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from .database import Database, UtcDateTime, dialect_insert, metadata

__all__ = ["claim", "processed_messages", "prune_processed"]

processed_messages = Table(
    "processed_messages",
    metadata,
    Column("consumer", String(200), primary_key=True),
    Column("message_id", Uuid, primary_key=True),
    Column("processed_at", UtcDateTime, nullable=False),
    Index(None, "processed_at"),  # pruning reads the oldest records
)


async def claim(session: AsyncSession, consumer: str, message_ids: Sequence[UUID]) -> set[UUID]:
    """Record `message_ids` as processed by `consumer`; return the ids not recorded before.

    Runs in the caller's transaction, as one INSERT … ON CONFLICT DO NOTHING … RETURNING for the whole
    batch. An id given twice is claimed once. Under concurrency PostgreSQL makes a second claimer of the
    same id wait for the first transaction and then get nothing back; SQLite has one writer at a time.
    """
    unique = list(dict.fromkeys(message_ids))
    if not unique:
        return set()
    now = datetime.now(UTC)
    table = processed_messages
    statement = (
        dialect_insert(session, table)
        .on_conflict_do_nothing(index_elements=[table.c.consumer, table.c.message_id])
        .returning(table.c.message_id)
    )
    rows = [{"consumer": consumer, "message_id": message_id, "processed_at": now} for message_id in unique]
    return set((await session.execute(statement, rows)).scalars())


async def prune_processed(db: Database, *, days: float, batch: int = 10_000) -> int:
    """Delete records older than `days`, `batch` rows per transaction; return how many were deleted.

    Keep records longer than a message can come back: the consumer's whole redelivery schedule and the
    publishers' duplicate window. A consumer reset to replay older messages would run them again.
    Small transactions keep the write lock (SQLite) and row locks (PostgreSQL) short.
    """
    cutoff = datetime.now(UTC) - timedelta(days=days)
    table = processed_messages
    key = tuple_(table.c.consumer, table.c.message_id)
    deleted = 0
    while True:
        oldest = (
            select(table.c.consumer, table.c.message_id).where(table.c.processed_at < cutoff).limit(batch)
        )
        async with db.transaction() as session:
            result = await session.execute(delete(table).where(key.in_(oldest)))
        count: int = result.rowcount  # type: ignore[attr-defined]  # a DELETE's result is a CursorResult
        deleted += count
        if count < batch:
            return deleted
