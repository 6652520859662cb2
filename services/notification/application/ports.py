"""Ports of the notification service: the contact and order directory, the notifications, the providers."""

import abc
from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from services.notification.domain.notifications import Contact, Notification
from services.notification.domain.sending import Message, Outcome

__all__ = ["DeliveryFailedError", "Directory", "Notifications", "Providers"]


class Directory(abc.ABC):
    """Whom to tell: contacts (customers, artisans) and the customer of each order."""

    @abc.abstractmethod
    async def save_contact(self, contact: Contact, *, at: datetime) -> None:
        """Add or replace a contact (a second onboarding brings the artisan's new details)."""

    @abc.abstractmethod
    async def contacts(self, contact_ids: set[UUID]) -> dict[UUID, Contact]: ...

    @abc.abstractmethod
    async def remember_order(self, order_id: UUID, customer_id: UUID, *, at: datetime) -> None: ...

    @abc.abstractmethod
    async def customer_of(self, order_id: UUID) -> UUID | None: ...


class Notifications(abc.ABC):
    @abc.abstractmethod
    async def add(self, notification: Notification) -> bool:
        """Store a new notification; False when one with its id exists (the fact was seen before)."""

    @abc.abstractmethod
    async def claim(
        self, batch_id: UUID, *, now: datetime, window: timedelta, lease: timedelta, limit: int
    ) -> list[Notification]:
        """Claim for `batch_id` the due notifications (pending and due, or left `sending` by a batch
        older than `lease`), most urgent first, with the pending members of their groups due within
        `window`."""

    @abc.abstractmethod
    async def finish(self, outcomes: Sequence[Outcome], *, at: datetime) -> None:
        """Record each claimed notification as sent, failed or expired."""


class DeliveryFailedError(Exception):
    """A provider refused a message; the reason is reported, the notification is not retried."""


class Providers(abc.ABC):
    """Email, SMS and push providers behind one port."""

    @abc.abstractmethod
    async def send(self, message: Message) -> None:
        """Deliver `message`; raise `DeliveryFailedError` when the provider refuses it."""
