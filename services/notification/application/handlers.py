"""Handlers: plain functions of (message, unit of work, ports). Time comes in as `now`, the fact's time as
`occurred_at` (the envelope's), so that expiry is judged against when it happened.

Idempotency: the inbox drops a redelivered message; a fact seen again under another message id finds its
notification (derived id) and schedules nothing new.

NOTIFICATIONS is an interest-retention stream in memory: a `notification.scheduled.v1` is kept only until
every consumer interested in it (the order saga, analytics) acknowledged it, is gone after a NATS restart,
and is never there for a consumer created later. Nothing can be replayed from it: this service's database
is the record of what was scheduled and sent, and a saga that missed the announcement of its order's
confirmation goes on when its notify step times out (decision 003: notify is retried, never compensated).
"""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from a4co_sdk.models import artisan, common, notification, user
from a4co_sdk.publishers.notification import NotificationPublishers
from services.notification.application.ports import Directory, Notifications
from services.notification.domain.notifications import Contact, Draft, Notification, schedule
from services.platform.unit_of_work import UnitOfWork

__all__ = [
    "RecipientNotKnownYetError",
    "order_recipient",
    "remember_artisan",
    "remember_customer",
    "remember_order",
    "schedule_drafts",
    "scheduled_event",
]

log = logging.getLogger(__name__)


class RecipientNotKnownYetError(Exception):
    """An event about an order whose creation this service has not seen (yet): retried with the consumer's
    backoff, since the creation may still be on its way on another consumer."""


async def schedule_drafts(
    drafts: Sequence[Draft],
    uow: UnitOfWork,
    notifications: Notifications,
    directory: Directory,
    publishers: NotificationPublishers,
    *,
    now: datetime,
    window: timedelta,
) -> list[Notification]:
    """Schedule what the drafts ask for and announce each new notification; returns the new ones."""
    contacts = await directory.contacts({d.recipient_id for d in drafts}) if drafts else {}
    scheduled = []
    for draft in drafts:
        planned = schedule(draft, contacts.get(draft.recipient_id), now=now, window=window)
        if planned is None:
            log.info(
                "%s for %s expired before it was scheduled; not sent", draft.template, draft.recipient_id
            )
            continue
        if await notifications.add(planned):
            uow.publish(publishers.notification_scheduled.prepare(scheduled_event(planned)))
            scheduled.append(planned)
    return scheduled


def scheduled_event(planned: Notification) -> notification.NotificationScheduled:
    return notification.NotificationScheduled(
        notification_id=planned.notification_id,
        recipient_id=planned.recipient_id,
        type=notification.NotificationChannel(planned.channel.value),
        template=planned.template,
        variables=planned.variables,
        priority=notification.NotificationPriority(planned.priority.value),
        scheduled_for=planned.scheduled_for,
        expires_at=planned.expires_at,
        group_key=planned.group_key,
        related_to=(
            common.Reference(aggregate_type=planned.related_to[0], aggregate_id=planned.related_to[1])
            if planned.related_to
            else None
        ),
    )


async def order_recipient(directory: Directory, order_id: UUID, *, last_attempt: bool) -> UUID | None:
    """The customer of an order. Unknown: retry (raise) while the consumer will redeliver, then give up
    with a warning rather than dead-letter (a notice missed because its order was created before this
    service followed the orders is not worth an operator's time)."""
    customer = await directory.customer_of(order_id)
    if customer is not None:
        return customer
    if not last_attempt:
        raise RecipientNotKnownYetError(f"order {order_id} is not known yet; its creation may still come")
    log.warning("order %s is unknown to the notification service; its customer is not notified", order_id)
    return None


async def remember_order(directory: Directory, order_id: UUID, customer_id: UUID, *, now: datetime) -> None:
    await directory.remember_order(order_id, customer_id, at=now)


async def remember_customer(directory: Directory, message: user.UserRegistered, *, now: datetime) -> None:
    """The customer's addresses (decrypted `pii` fields), kept only here and only to send."""
    await directory.save_contact(
        Contact(
            contact_id=message.user_id,
            kind="customer",
            email=str(message.email),
            phone=message.phone,
            language=message.preferred_language.value,
        ),
        at=now,
    )


async def remember_artisan(
    directory: Directory, message: artisan.ArtisanOnboardingCompleted, *, now: datetime
) -> None:
    info = message.business_info
    await directory.save_contact(
        Contact(
            contact_id=message.artisan_id,
            kind="artisan",
            email=str(info.email),
            phone=info.phone,
            language="es",
        ),
        at=now,
    )
