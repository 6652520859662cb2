"""Recent orders per customer (from `order.created.v1`): the order velocity the risk score reads.

One row per order id, so a redelivered or re-published `order.created` counts once. Only what the score
needs is kept (customer, time, total); rows older than `RETENTION` are pruned, the score looks back a day.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from sqlalchemy import Column, Index, Numeric, String, Table, Uuid, case, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.payment.domain.validation import Velocity
from services.platform.database import Database, UtcDateTime, dialect_insert, metadata

__all__ = ["RETENTION", "customer_orders", "prune_orders", "record_order", "velocity"]

RETENTION = timedelta(days=7)

customer_orders = Table(
    "payment_recent_orders",
    metadata,
    Column("order_id", Uuid, primary_key=True),
    Column("customer_id", Uuid, nullable=False),
    Column("total", Numeric(12, 2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "customer_id", "created_at"),
)


async def record_order(
    session: AsyncSession, *, order_id: UUID, customer_id: UUID, total: Decimal, currency: str, at: datetime
) -> None:
    statement = dialect_insert(session, customer_orders).values(
        order_id=order_id, customer_id=customer_id, total=total, currency=currency, created_at=at
    )
    await session.execute(statement.on_conflict_do_nothing(index_elements=[customer_orders.c.order_id]))


async def velocity(session: AsyncSession, customer_id: UUID, now: datetime) -> Velocity:
    """Orders of the customer in the hour and the day before `now` (a minute of clock skew allowed)."""
    table = customer_orders
    hour_ago = now - timedelta(hours=1)
    statement = select(
        func.coalesce(func.sum(case((table.c.created_at >= hour_ago, 1), else_=0)), 0), func.count()
    ).where(
        table.c.customer_id == customer_id,
        table.c.created_at >= now - timedelta(days=1),
        table.c.created_at <= now + timedelta(minutes=1),
    )
    hour, day = (await session.execute(statement)).one()
    return Velocity(last_hour=int(hour), last_day=int(day))


async def prune_orders(db: Database, now: datetime) -> int:
    async with db.transaction() as session:
        result = await session.execute(
            delete(customer_orders).where(customer_orders.c.created_at < now - RETENTION)
        )
    count: int = result.rowcount  # type: ignore[attr-defined]  # a DELETE's result is a CursorResult
    return count
