"""Which orders have a saga step waiting for a deadline: the deadline timer's work list.

Kept up to date from the relay (after a commit is published, the order's next deadline is recorded), so
it follows the event store after a crash: a commit relayed again writes the same row again. The timer
only reads it; the aggregate decides, on fresh state, whether a deadline really passed.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import Column, String, Table, Uuid, func, select

from services.order.domain.order import Order
from services.platform.database import Database, UtcDateTime, dialect_insert, metadata

__all__ = ["due", "record", "saga_index", "status_counts"]

saga_index = Table(
    "saga_index",
    metadata,
    Column("order_id", Uuid, primary_key=True),
    Column("state", String(30), nullable=False),
    Column("saga_status", String(20), nullable=False, index=True),
    Column("next_deadline", UtcDateTime, nullable=True, index=True),
    Column("updated_at", UtcDateTime, nullable=False),
)


def next_deadline(order: Order) -> datetime | None:
    pending = [
        s.deadline for s in order.steps.values() if s.deadline and s.status in ("running", "compensating")
    ]
    return min(pending, default=None)


async def record(db: Database, order: Order, at: datetime) -> None:
    values = {
        "order_id": order.order_id,
        "state": order.state,
        "saga_status": order.saga_status,
        "next_deadline": next_deadline(order),
        "updated_at": at,
    }
    async with db.transaction() as session:
        insert = dialect_insert(session, saga_index).values(values)
        await session.execute(insert.on_conflict_do_update(index_elements=["order_id"], set_=values))


async def due(db: Database, now: datetime, limit: int = 200) -> list[UUID]:
    async with db.transaction(read_only=True) as session:
        rows = await session.execute(
            select(saga_index.c.order_id)
            .where(saga_index.c.next_deadline.is_not(None), saga_index.c.next_deadline <= now)
            .order_by(saga_index.c.next_deadline)
            .limit(limit)
        )
        return [row.order_id for row in rows]


async def status_counts(db: Database) -> dict[str, int]:
    async with db.transaction(read_only=True) as session:
        rows = await session.execute(
            select(saga_index.c.saga_status, func.count()).group_by(saga_index.c.saga_status)
        )
        return dict(rows.all())  # each Row is a (status, count) pair
