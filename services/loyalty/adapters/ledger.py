"""The ledger's tables and their repository. Prefixed `loyalty_`: every service shares the metadata."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import Column, Integer, String, Table, Uuid, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.loyalty.application.ports import Ledger
from services.loyalty.domain.points import Account, OrderPoints, Status
from services.platform.database import UtcDateTime, dialect_insert, metadata

__all__ = ["SqlLedger", "accounts", "order_points"]

order_points = Table(
    "loyalty_order_points",
    metadata,
    Column("order_id", Uuid, primary_key=True),
    Column("customer_id", Uuid, nullable=True, index=True),
    Column("points", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("settled_at", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
)

accounts = Table(
    "loyalty_accounts",
    metadata,
    Column("customer_id", Uuid, primary_key=True),
    Column("balance", Integer, nullable=False),
    Column("tier", String(10), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)


class SqlLedger(Ledger):
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def order(self, order_id: UUID) -> OrderPoints | None:
        row = (
            await self._session.execute(select(order_points).where(order_points.c.order_id == order_id))
        ).one_or_none()
        if row is None:
            return None
        return OrderPoints(row.order_id, Status(row.status), row.customer_id, row.points, row.settled_at)

    async def save_order(self, order: OrderPoints, *, at: datetime) -> None:
        values = {
            "customer_id": order.customer_id,
            "points": order.points,
            "status": order.status.value,
            "settled_at": order.settled_at,
            "updated_at": at,
        }
        statement = dialect_insert(self._session, order_points).values(order_id=order.order_id, **values)
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=[order_points.c.order_id], set_=values)
        )

    async def account(self, customer_id: UUID) -> Account:
        balance = (
            await self._session.execute(
                select(accounts.c.balance).where(accounts.c.customer_id == customer_id)
            )
        ).scalar_one_or_none()
        return Account(customer_id, balance or 0)

    async def save_account(self, account: Account, *, at: datetime) -> None:
        values = {"balance": account.balance, "tier": account.tier, "updated_at": at}
        statement = dialect_insert(self._session, accounts).values(customer_id=account.customer_id, **values)
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=[accounts.c.customer_id], set_=values)
        )
