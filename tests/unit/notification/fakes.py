"""In-memory fakes of the notification service's ports."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from uuid import UUID

from services.notification.application.ports import DeliveryFailedError, Directory, Notifications, Providers
from services.notification.domain.notifications import Contact, Notification, Status
from services.notification.domain.sending import Message, Outcome, bounce_reason


class FakeDirectory(Directory):
    def __init__(self) -> None:
        self.people: dict[UUID, Contact] = {}
        self.orders: dict[UUID, UUID] = {}

    async def save_contact(self, contact: Contact, *, at: datetime) -> None:
        self.people[contact.contact_id] = contact

    async def contacts(self, contact_ids: set[UUID]) -> dict[UUID, Contact]:
        return {i: self.people[i] for i in contact_ids if i in self.people}

    async def remember_order(self, order_id: UUID, customer_id: UUID, *, at: datetime) -> None:
        self.orders.setdefault(order_id, customer_id)

    async def customer_of(self, order_id: UUID) -> UUID | None:
        return self.orders.get(order_id)


class FakeNotifications(Notifications):
    def __init__(self) -> None:
        self.rows: dict[UUID, Notification] = {}
        self.claimed_at: dict[UUID, datetime] = {}
        self.errors: dict[UUID, str | None] = {}

    async def add(self, notification: Notification) -> bool:
        if notification.notification_id in self.rows:
            return False
        self.rows[notification.notification_id] = notification
        return True

    async def claim(
        self, batch_id: UUID, *, now: datetime, window: timedelta, lease: timedelta, limit: int
    ) -> list[Notification]:
        def claimable(n: Notification) -> bool:
            if n.status is Status.PENDING:
                return n.scheduled_for <= now
            return n.status is Status.SENDING and self.claimed_at[n.notification_id] < now - lease

        due = sorted(
            (n for n in self.rows.values() if claimable(n)), key=lambda n: (-n.priority.rank, n.scheduled_for)
        )[:limit]
        groups = {(n.recipient_id, n.channel, n.group_key) for n in due if n.group_key}
        mates = [
            n
            for n in self.rows.values()
            if n.status is Status.PENDING
            and (n.recipient_id, n.channel, n.group_key) in groups
            and n.scheduled_for <= now + window
            and n not in due
        ]
        claimed = []
        for n in [*due, *mates]:
            self.rows[n.notification_id] = replace(n, status=Status.SENDING)
            self.claimed_at[n.notification_id] = now
            claimed.append(self.rows[n.notification_id])
        return sorted(claimed, key=lambda n: (-n.priority.rank, n.scheduled_for))

    async def finish(self, outcomes: Sequence[Outcome], *, at: datetime) -> None:
        for outcome in outcomes:
            self.rows[outcome.notification_id] = replace(
                self.rows[outcome.notification_id], status=outcome.status
            )
            self.errors[outcome.notification_id] = outcome.error


class FakeProviders(Providers):
    def __init__(self) -> None:
        self.delivered: list[Message] = []

    async def send(self, message: Message) -> None:
        reason = bounce_reason(message)
        if reason is not None:
            raise DeliveryFailedError(reason)
        self.delivered.append(message)
