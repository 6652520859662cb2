"""The inbox: which messages each consumer has already processed.

JetStream delivers at least once: a message whose acknowledgement was lost, or that waited longer than
the consumer's ack wait, comes again. `claim` writes the message id in the same transaction as the
message's effects, so the two commit or vanish together, and a redelivered message finds its id there
and is acknowledged without running its handler again.
"""

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import (
    Column,
    Index,
    Select,
    String,
    Table,
    TableValuedAlias,
    Uuid,
    bindparam,
    cast,
    delete,
    func,
    select,
    true,
    tuple_,
    type_coerce,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from .database import Database, UtcDateTime, metadata

__all__ = ["claim", "processed_messages", "prune_processed", "release"]

processed_messages = Table(
    "processed_messages",
    metadata,
    Column("consumer", String(200), primary_key=True),
    Column("message_id", Uuid, primary_key=True),
    Column("processed_at", UtcDateTime, nullable=False),
    Index(None, "processed_at"),  # pruning reads the oldest records
)


_KEY = [processed_messages.c.consumer, processed_messages.c.message_id]
_COLUMNS = [*_KEY, processed_messages.c.processed_at]


def _claim_rows(ids: TableValuedAlias) -> Select[str, Any, datetime]:
    """One row per id given (`WHERE true`: how SQLite tells the upsert's ON CONFLICT from a join's ON)."""
    consumer, now = bindparam("consumer", type_=String), bindparam("now", type_=UtcDateTime)
    return select(consumer, ids.c.value, now).where(true())


# The batch's ids travel as one parameter, not one row of parameters per id: SQLAlchemy's per-row
# parameter processing cost more than the insert itself. PostgreSQL gets a uuid[] (unnest's column named
# by AS anon(value)), SQLite a JSON array (json_each: built into SQLite since 3.38, RETURNING needs 3.35).
_POSTGRES_IDS = (
    func.unnest(cast(bindparam("ids"), postgresql.ARRAY(Uuid))).table_valued("value").render_derived()
)
_SQLITE_IDS = func.json_each(bindparam("ids", type_=String)).table_valued("value")
_CLAIM_POSTGRES = (
    postgresql.insert(processed_messages)
    .from_select(_COLUMNS, _claim_rows(_POSTGRES_IDS))
    .on_conflict_do_nothing(index_elements=_KEY)
    .returning(processed_messages.c.message_id)
)
_CLAIM_SQLITE = (
    sqlite.insert(processed_messages)
    .from_select(_COLUMNS, _claim_rows(_SQLITE_IDS))
    .on_conflict_do_nothing(index_elements=_KEY)
    .returning(type_coerce(processed_messages.c.message_id, String))
)


async def claim(session: AsyncSession, consumer: str, message_ids: Sequence[UUID]) -> set[UUID]:
    """Record `message_ids` as processed by `consumer`; return the ids not recorded before.

    Runs in the caller's transaction, as one INSERT … SELECT … ON CONFLICT DO NOTHING … RETURNING for the
    whole batch. An id given twice is claimed once. Under concurrency PostgreSQL makes a second claimer
    of the same id wait for the first transaction and then get nothing back; SQLite has one writer at a
    time.
    """
    if not message_ids:
        return set()
    now = datetime.now(UTC)
    if session.get_bind().dialect.name == "postgresql":
        parameters = {"consumer": consumer, "ids": list(dict.fromkeys(message_ids)), "now": now}
        return set((await session.execute(_CLAIM_POSTGRES, parameters)).scalars())
    # SQLite keeps a Uuid column as its 32 hex digits (SQLAlchemy's format): the ids go in as a JSON
    # array of those and come back as text, looked up rather than parsed again (1.5 µs an id).
    by_hex = {message_id.hex: message_id for message_id in message_ids}
    parameters = {"consumer": consumer, "ids": orjson.dumps(list(by_hex)).decode(), "now": now}
    return {by_hex[text] for text in (await session.execute(_CLAIM_SQLITE, parameters)).scalars()}


async def release(session: AsyncSession, consumer: str, message_ids: Collection[UUID]) -> None:
    """Undo `claim` for ids claimed in this transaction that were not processed after all.

    A batch claims its ids before decoding the bodies; a message that then turns out undecodable or
    invalid goes to the dead letter queue, and its id must stay free so that a replay from there runs.
    """
    if not message_ids:
        return
    table = processed_messages
    statement = delete(table).where(table.c.consumer == consumer, table.c.message_id.in_(message_ids))
    await session.execute(statement)


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
