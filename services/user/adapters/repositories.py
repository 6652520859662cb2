"""SQL implementations of the user service's ports, on the unit of work's session."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.platform.database import dialect_insert
from services.user.adapters.tables import (
    blocks,
    customers,
    payment_methods,
    segment_signals,
    segmentations,
    validations,
)
from services.user.application.ports import (
    Customers,
    CustomerStatus,
    Segmentations,
    ValidationAnswer,
    Validations,
)
from services.user.domain.customers import Customer, Rejection, SavedMethod
from services.user.domain.segments import Segmentation

__all__ = ["SqlCustomers", "SqlSegmentations", "SqlValidations"]


class SqlCustomers(Customers):
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _insert_new(self, table: Any, key: str, row: dict[str, Any]) -> None:
        statement = dialect_insert(self._session, table).on_conflict_do_nothing(index_elements=[key])
        await self._session.execute(statement.values(**row))

    async def register(self, customer: Customer) -> None:
        await self._insert_new(
            customers,
            "user_id",
            {
                "user_id": customer.user_id,
                "first_name": customer.first_name,
                "preferred_language": customer.preferred_language,
                "registered_at": customer.registered_at,
            },
        )

    async def block(self, user_id: UUID, reason: str, at: datetime) -> None:
        await self._insert_new(blocks, "user_id", {"user_id": user_id, "reason": reason, "blocked_at": at})

    async def add_method(self, method: SavedMethod) -> None:
        await self._insert_new(
            payment_methods,
            "payment_method_id",
            {
                "payment_method_id": method.payment_method_id,
                "user_id": method.user_id,
                "kind": method.kind,
                "label": method.label,
                "expiry_month": method.expiry_month,
                "expiry_year": method.expiry_year,
                "is_default": method.is_default,
                "added_at": method.added_at,
            },
        )

    async def status(self, user_id: UUID) -> CustomerStatus:
        row = (
            await self._session.execute(
                select(customers.c.user_id, blocks.c.user_id.label("blocked"))
                .select_from(customers.outerjoin(blocks, blocks.c.user_id == customers.c.user_id))
                .where(customers.c.user_id == user_id)
            )
        ).one_or_none()
        if row is None:
            return CustomerStatus(known=False, blocked=False)
        return CustomerStatus(known=True, blocked=row.blocked is not None)


class SqlSegmentations(Segmentations):
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, user_id: UUID) -> Segmentation:
        row = (
            await self._session.execute(select(segmentations).where(segmentations.c.user_id == user_id))
        ).one_or_none()
        if row is None:
            return Segmentation(user_id)
        return Segmentation(
            user_id=user_id,
            olive_oil_interactions=row.olive_oil_interactions,
            confirmed_orders=row.confirmed_orders,
            balance=row.balance,
            tier=row.tier,
            last_order_at=row.last_order_at,
            segments=tuple(row.segments),
        )

    async def save(self, segmentation: Segmentation, *, at: datetime) -> None:
        values = {
            "olive_oil_interactions": segmentation.olive_oil_interactions,
            "confirmed_orders": segmentation.confirmed_orders,
            "balance": segmentation.balance,
            "tier": segmentation.tier,
            "last_order_at": segmentation.last_order_at,
            "segments": list(segmentation.segments),
            "updated_at": at,
        }
        statement = dialect_insert(self._session, segmentations).values(
            user_id=segmentation.user_id, **values
        )
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=[segmentations.c.user_id], set_=values)
        )

    async def first_sighting(self, user_id: UUID, signal_id: UUID, kind: str, at: datetime) -> bool:
        statement = (
            dialect_insert(self._session, segment_signals)
            .values(user_id=user_id, signal_id=signal_id, kind=kind, seen_at=at)
            .on_conflict_do_nothing(index_elements=[segment_signals.c.user_id, segment_signals.c.signal_id])
            .returning(segment_signals.c.signal_id)
        )
        return (await self._session.execute(statement)).first() is not None


class SqlValidations(Validations):
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, validation_id: UUID) -> ValidationAnswer | None:
        row = (
            await self._session.execute(
                select(validations).where(validations.c.validation_id == validation_id)
            )
        ).one_or_none()
        if row is None:
            return None
        return ValidationAnswer(
            validation_id=row.validation_id,
            customer_id=row.customer_id,
            order_id=row.order_id,
            rejection=Rejection(row.rejection) if row.rejection else None,
            segments=tuple(row.segments),
            validated_at=row.validated_at,
        )

    async def add(self, answer: ValidationAnswer) -> None:
        await self._session.execute(
            validations.insert().values(
                validation_id=answer.validation_id,
                customer_id=answer.customer_id,
                order_id=answer.order_id,
                rejection=answer.rejection.value if answer.rejection else None,
                segments=list(answer.segments),
                validated_at=answer.validated_at,
            )
        )
