"""SQL implementations of the directory and the notifications, on the unit of work's session."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.adapters.tables import contacts, notifications, orders
from services.notification.application.ports import Directory, Notifications
from services.notification.domain.notifications import Channel, Contact, Notification, Priority, Status
from services.notification.domain.sending import Outcome
from services.platform.database import dialect_insert

__all__ = ["SqlDirectory", "SqlNotifications"]


class SqlDirectory(Directory):
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def save_contact(self, contact: Contact, *, at: datetime) -> None:
        values = {
            "kind": contact.kind,
            "email": contact.email,
            "phone": contact.phone,
            "language": contact.language,
            "updated_at": at,
        }
        statement = dialect_insert(self._session, contacts).values(contact_id=contact.contact_id, **values)
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=[contacts.c.contact_id], set_=values)
        )

    async def contacts(self, contact_ids: set[UUID]) -> dict[UUID, Contact]:
        if not contact_ids:
            return {}
        rows = await self._session.execute(select(contacts).where(contacts.c.contact_id.in_(contact_ids)))
        return {r.contact_id: Contact(r.contact_id, r.kind, r.email, r.phone, r.language) for r in rows}

    async def remember_order(self, order_id: UUID, customer_id: UUID, *, at: datetime) -> None:
        statement = (
            dialect_insert(self._session, orders)
            .values(order_id=order_id, customer_id=customer_id, created_at=at)
            .on_conflict_do_nothing(index_elements=[orders.c.order_id])
        )
        await self._session.execute(statement)

    async def customer_of(self, order_id: UUID) -> UUID | None:
        result = await self._session.execute(
            select(orders.c.customer_id).where(orders.c.order_id == order_id)
        )
        customer: UUID | None = result.scalar_one_or_none()
        return customer


def _notification(row: Any) -> Notification:
    return Notification(
        notification_id=row.notification_id,
        recipient_id=row.recipient_id,
        channel=Channel(row.channel),
        template=row.template,
        variables=row.variables,
        priority=Priority(row.priority),
        scheduled_for=row.scheduled_for,
        expires_at=row.expires_at,
        group_key=row.group_key,
        related_to=(row.related_type, row.related_id) if row.related_type else None,
        status=Status(row.status),
        created_at=row.created_at,
    )


class SqlNotifications(Notifications):
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, notification: Notification) -> bool:
        n = notification
        statement = (
            dialect_insert(self._session, notifications)
            .values(
                notification_id=n.notification_id,
                recipient_id=n.recipient_id,
                channel=n.channel.value,
                template=n.template,
                variables=n.variables,
                priority=n.priority.value,
                priority_rank=n.priority.rank,
                scheduled_for=n.scheduled_for,
                expires_at=n.expires_at,
                group_key=n.group_key,
                related_type=n.related_to[0] if n.related_to else None,
                related_id=n.related_to[1] if n.related_to else None,
                status=n.status.value,
                created_at=n.created_at or n.scheduled_for,
            )
            .on_conflict_do_nothing(index_elements=[notifications.c.notification_id])
            .returning(notifications.c.notification_id)
        )
        return (await self._session.execute(statement)).first() is not None

    async def claim(
        self, batch_id: UUID, *, now: datetime, window: timedelta, lease: timedelta, limit: int
    ) -> list[Notification]:
        t = notifications.c
        claimable = or_(
            and_(t.status == Status.PENDING.value, t.scheduled_for <= now),
            and_(t.status == Status.SENDING.value, t.claimed_at < now - lease),
        )
        due = (
            await self._session.execute(
                select(notifications)
                .where(claimable)
                .order_by(t.priority_rank.desc(), t.scheduled_for)
                .limit(limit)
            )
        ).all()
        keys = {r.group_key for r in due if r.group_key}
        ids = {r.notification_id for r in due}
        if keys:
            groups = {(r.recipient_id, r.channel, r.group_key) for r in due if r.group_key}
            mates = await self._session.execute(
                select(notifications.c.notification_id, t.recipient_id, t.channel, t.group_key).where(
                    t.status == Status.PENDING.value,
                    t.group_key.in_(keys),
                    t.scheduled_for <= now + window,
                )
            )
            ids |= {m.notification_id for m in mates if (m.recipient_id, m.channel, m.group_key) in groups}
        if not ids:
            return []
        claimed = await self._session.execute(
            update(notifications)
            .where(
                t.notification_id.in_(ids),
                or_(
                    t.status == Status.PENDING.value,
                    and_(t.status == Status.SENDING.value, t.claimed_at < now - lease),
                ),
            )
            .values(status=Status.SENDING.value, batch_id=batch_id, claimed_at=now)
            .returning(*notifications.c)
        )
        rows = sorted(
            claimed.all(), key=lambda r: (-r.priority_rank, r.scheduled_for, str(r.notification_id))
        )
        return [_notification(r) for r in rows]

    async def finish(self, outcomes: Sequence[Outcome], *, at: datetime) -> None:
        for outcome in outcomes:
            await self._session.execute(
                update(notifications)
                .where(notifications.c.notification_id == outcome.notification_id)
                .values(status=outcome.status.value, error=outcome.error, finished_at=at)
            )
