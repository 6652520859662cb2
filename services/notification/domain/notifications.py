"""Scheduling a notification: to whom, through which channel, when, and until when it is worth sending.

Rules:
- **Channel** by priority and what the contact directory knows: critical and high go by SMS when there
  is a phone number; otherwise email when there is an address, SMS when there is only a phone, and push
  (addressed by the recipient id, through the app) for recipients the directory does not know.
- **When**: critical and high now. Low and normal ones with a group key wait one grouping window, so that
  what follows within it (a payment and the confirmation of the same order, several orders for one
  artisan) leaves as one message (see `sending`). Everything else now.
- **Expiry**: every template has a time to live counted from when the fact happened. A notification
  already expired when its event arrives is not scheduled at all: a replayed or long-delayed event (a
  consumer created with deliver-all on a kept stream, a DLQ replay) must not greet customers a second time
  or report last month's stock.
- **Identity**: the notification id is derived from what it is about (template, recipient, business
  key), so the same fact seen again under another message id schedules nothing new.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

__all__ = [
    "NAMESPACE",
    "Channel",
    "Contact",
    "Draft",
    "Notification",
    "Priority",
    "Status",
    "choose_channel",
    "notification_id",
    "schedule",
]

NAMESPACE = UUID("6f1d9c3e-7a52-5b8e-9c4d-2e1f0a3b5c7d")


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def urgent(self) -> bool:
        return self in (Priority.HIGH, Priority.CRITICAL)


_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.CRITICAL: 3}


class Status(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    """Claimed by a batch; a batch that died leaves it to be claimed again after the lease."""
    SENT = "sent"
    FAILED = "failed"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Contact:
    """Where a customer or an artisan can be reached.

    From `user.registered` and `artisan.onboarding.completed`.
    """

    contact_id: UUID
    kind: str
    email: str | None
    phone: str | None
    language: str


@dataclass(frozen=True, slots=True)
class Draft:
    """What an event asks to tell someone, before the directory and the clock decide how and when."""

    key: str
    """The business fact it is about (an order id, a payment id...), for the notification's id."""
    recipient_id: UUID
    template: str
    variables: dict[str, Any]
    priority: Priority
    occurred_at: datetime
    ttl: timedelta
    group_key: str | None = None
    related_to: tuple[str, str] | None = None
    """(aggregate type, aggregate id) the notification is about; the order saga waits for its order's."""


@dataclass(frozen=True, slots=True)
class Notification:
    notification_id: UUID
    recipient_id: UUID
    channel: Channel
    template: str
    variables: dict[str, Any]
    priority: Priority
    scheduled_for: datetime
    expires_at: datetime
    group_key: str | None = None
    related_to: tuple[str, str] | None = None
    status: Status = Status.PENDING
    created_at: datetime | None = field(default=None, compare=False)


def notification_id(template: str, recipient_id: UUID, key: str) -> UUID:
    return uuid5(NAMESPACE, f"{template}|{recipient_id}|{key}")


def choose_channel(priority: Priority, contact: Contact | None) -> Channel:
    if contact is None:
        return Channel.PUSH
    if priority.urgent and contact.phone:
        return Channel.SMS
    if contact.email:
        return Channel.EMAIL
    if contact.phone:
        return Channel.SMS
    return Channel.PUSH


def schedule(
    draft: Draft, contact: Contact | None, *, now: datetime, window: timedelta
) -> Notification | None:
    """The notification to schedule for `draft`, or None when it expired before it could be sent."""
    expires_at = draft.occurred_at + draft.ttl
    if expires_at <= now:
        return None
    waits = draft.group_key is not None and not draft.priority.urgent
    return Notification(
        notification_id=notification_id(draft.template, draft.recipient_id, draft.key),
        recipient_id=draft.recipient_id,
        channel=choose_channel(draft.priority, contact),
        template=draft.template,
        variables=draft.variables,
        priority=draft.priority,
        scheduled_for=now + window if waits else now,
        expires_at=expires_at,
        group_key=draft.group_key,
        related_to=draft.related_to,
        created_at=now,
    )
