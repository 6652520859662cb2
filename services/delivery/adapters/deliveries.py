"""Scheduled deliveries, one row per delivery id (the saga's id, so a repeated request finds it)."""

from decimal import Decimal
from uuid import UUID

from sqlalchemy import Column, Numeric, String, Table, Uuid, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.delivery.domain.scheduling import Plan
from services.platform.database import UtcDateTime, metadata

__all__ = ["DeliveryRepository", "deliveries"]

deliveries = Table(
    "deliveries",
    metadata,
    Column("delivery_id", Uuid, primary_key=True),
    Column("order_id", Uuid, nullable=False, index=True),
    Column("carrier", String(60), nullable=False),
    Column("tracking_code", String(24), nullable=False),
    Column("window_start", UtcDateTime, nullable=False),
    Column("window_end", UtcDateTime, nullable=False),
    Column("cost", Numeric(10, 2), nullable=False),
)


class DeliveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, delivery_id: UUID) -> Plan | None:
        row = (
            await self._session.execute(select(deliveries).where(deliveries.c.delivery_id == delivery_id))
        ).one_or_none()
        if row is None:
            return None
        return Plan(row.carrier, row.tracking_code, row.window_start, row.window_end, Decimal(row.cost))

    async def add(self, delivery_id: UUID, order_id: UUID, plan: Plan) -> None:
        await self._session.execute(
            deliveries.insert().values(
                delivery_id=delivery_id,
                order_id=order_id,
                carrier=plan.carrier,
                tracking_code=plan.tracking_code,
                window_start=plan.window_start,
                window_end=plan.window_end,
                cost=plan.cost,
            )
        )
