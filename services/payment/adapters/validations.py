"""Answers given to validation requests, by validation id: a repeated request gets the same answer.

The saga asks once per order (its validation id is derived from the order), but a request may be
redelivered with a new message id after a deadline; the inbox cannot recognise that, the validation id
can. The answer is kept, not recomputed: the profile or the velocity may have changed since.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from sqlalchemy import Boolean, Column, Index, Integer, Numeric, String, Table, Uuid, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.payment.domain.validation import Assessment
from services.platform.database import Database, UtcDateTime, dialect_insert, metadata

__all__ = [
    "RETENTION",
    "Answered",
    "find_answer",
    "payment_method_validations",
    "prune_answers",
    "record_answer",
]

payment_method_validations = Table(
    "payment_method_validations",
    metadata,
    Column("validation_id", Uuid, primary_key=True),
    Column("order_id", Uuid, nullable=False),
    Column("payment_method_id", Uuid, nullable=False),
    Column("method_type", String(16), nullable=False),
    Column("is_valid", Boolean, nullable=False),
    Column("rejection", String(32)),
    Column("available_credit", Numeric(12, 2)),
    Column("currency", String(3), nullable=False),
    Column("requires_3ds", Boolean),
    Column("risk_score", Integer),
    Column("validated_at", UtcDateTime, nullable=False),
    Index(None, "validated_at"),
)

RETENTION = timedelta(days=30)
"""Answers are kept as long as a saga could ask again (its deadlines are seconds), with a wide margin."""


class Answered:
    """A stored answer: the assessment and when it was given."""

    def __init__(self, assessment: Assessment, currency: str, validated_at: datetime) -> None:
        self.assessment = assessment
        self.currency = currency
        self.validated_at = validated_at


async def find_answer(session: AsyncSession, validation_id: UUID) -> Answered | None:
    table = payment_method_validations
    row = (await session.execute(select(table).where(table.c.validation_id == validation_id))).one_or_none()
    if row is None:
        return None
    credit = row.available_credit
    return Answered(
        Assessment(
            valid=row.is_valid,
            method_type=row.method_type,
            rejection=row.rejection,
            available_credit=None if credit is None else Decimal(credit),
            requires_3ds=row.requires_3ds,
            risk_score=row.risk_score,
        ),
        row.currency,
        row.validated_at,
    )


async def record_answer(
    session: AsyncSession,
    *,
    validation_id: UUID,
    order_id: UUID,
    payment_method_id: UUID,
    assessment: Assessment,
    currency: str,
    validated_at: datetime,
) -> None:
    table = payment_method_validations
    statement = dialect_insert(session, table).values(
        validation_id=validation_id,
        order_id=order_id,
        payment_method_id=payment_method_id,
        method_type=assessment.method_type,
        is_valid=assessment.valid,
        rejection=assessment.rejection,
        available_credit=assessment.available_credit,
        currency=currency,
        requires_3ds=assessment.requires_3ds,
        risk_score=assessment.risk_score,
        validated_at=validated_at,
    )
    await session.execute(statement.on_conflict_do_nothing(index_elements=[table.c.validation_id]))


async def prune_answers(db: Database, now: datetime) -> int:
    async with db.transaction() as session:
        result = await session.execute(
            delete(payment_method_validations).where(
                payment_method_validations.c.validated_at < now - RETENTION
            )
        )
    count: int = result.rowcount  # type: ignore[attr-defined]  # a DELETE's result is a CursorResult
    return count
