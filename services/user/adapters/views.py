"""The read side: the payment and chat profiles, straight from the read-model tables (one short read-only
transaction per query, primary-key and indexed lookups only, so the 100 ms SLA holds without the cache)."""

from datetime import date
from uuid import UUID

from sqlalchemy import select

from a4co_sdk.models import loyalty, payment, user
from services.platform.database import Database
from services.user.adapters.tables import blocks, customers, payment_methods, segmentations
from services.user.application.ports import ProfileViews
from services.user.domain.customers import SavedMethod, default_method, method_status

__all__ = ["MAX_METHODS", "SqlProfileViews"]

MAX_METHODS = 20
"""The contract's bound on `paymentMethods`: the default and the most recently saved ones are shown."""


class SqlProfileViews(ProfileViews):
    def __init__(self, db: Database) -> None:
        self._db = db

    async def payment_profile(self, user_id: UUID, today: date) -> user.PaymentProfile | None:
        async with self._db.transaction(read_only=True) as session:
            customer = (
                await session.execute(
                    select(customers.c.registered_at, blocks.c.blocked_at)
                    .select_from(customers.outerjoin(blocks, blocks.c.user_id == customers.c.user_id))
                    .where(customers.c.user_id == user_id)
                )
            ).one_or_none()
            if customer is None:
                return None
            rows = (
                await session.execute(select(payment_methods).where(payment_methods.c.user_id == user_id))
            ).all()
        methods = [
            SavedMethod(
                r.payment_method_id,
                r.user_id,
                r.kind,
                r.label,
                r.expiry_month,
                r.expiry_year,
                r.is_default,
                r.added_at,
            )
            for r in rows
        ]
        default = default_method(methods)
        shown = sorted(methods, key=lambda m: (m.payment_method_id != default, -m.added_at.timestamp()))
        updated = max(
            [
                customer.registered_at,
                *([customer.blocked_at] if customer.blocked_at else []),
                *(m.added_at for m in methods),
            ]
        )
        return user.PaymentProfile(
            user_id=user_id,
            status=user.PaymentProfileStatus.BLOCKED
            if customer.blocked_at
            else user.PaymentProfileStatus.ACTIVE,
            default_payment_method_id=default,
            payment_methods=[
                user.PaymentMethodSummary(
                    payment_method_id=m.payment_method_id,
                    type=payment.PaymentMethodType(m.kind),
                    label=m.label,
                    expiry_month=m.expiry_month,
                    expiry_year=m.expiry_year,
                    status=user.PaymentMethodStatus(method_status(m.expiry_month, m.expiry_year, today)),
                )
                for m in shown[:MAX_METHODS]
            ],
            updated_at=updated,
        )

    async def chat_profile(self, user_id: UUID) -> user.ChatProfile | None:
        async with self._db.transaction(read_only=True) as session:
            row = (
                await session.execute(
                    select(
                        customers.c.first_name,
                        customers.c.preferred_language,
                        blocks.c.blocked_at,
                        segmentations.c.segments,
                        segmentations.c.tier,
                        segmentations.c.last_order_at,
                    )
                    .select_from(
                        customers.outerjoin(blocks, blocks.c.user_id == customers.c.user_id).outerjoin(
                            segmentations, segmentations.c.user_id == customers.c.user_id
                        )
                    )
                    .where(customers.c.user_id == user_id)
                )
            ).one_or_none()
        if row is None:
            return None
        return user.ChatProfile(
            user_id=user_id,
            display_name=row.first_name,
            preferred_language=user.PreferredLanguage(row.preferred_language),
            segments=[user.Segment(s) for s in row.segments or []],
            loyalty_tier=loyalty.LoyaltyTier(row.tier) if row.tier else None,
            is_blocked=row.blocked_at is not None,
            last_order_at=row.last_order_at,
        )
