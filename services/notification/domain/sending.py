"""Sending due notifications: grouping, addressing and the simulated providers' verdicts.

- **Grouping**: due notifications with the same recipient, channel and group key leave as one message
  (a digest of their templates), together with the pending ones of that group due within the grouping
  window. Each notification keeps its own id and outcome in the batch report.
- **Addresses** come from the contact directory when sending (never stored with the notification, and
  never in its events): the email address, the phone number, or `push:<recipient id>` for the app.
- **Simulated providers** fail deterministically for any address containing `+bounce` (a hard bounce:
  not retried); a message without an address for its channel fails too. Everything else is delivered.
- A notification found expired when its batch runs is not sent; it is reported as failed ("expired").
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.notification.domain.notifications import Channel, Contact, Notification, Status

__all__ = [
    "BOUNCE_MARK",
    "Message",
    "Outcome",
    "address_of",
    "bounce_reason",
    "compose",
    "failed",
    "groups",
    "sent",
]

BOUNCE_MARK = "+bounce"
DIGEST = "digest"


@dataclass(frozen=True, slots=True)
class Message:
    """One message to one address: a notification, or a group of them."""

    channel: Channel
    address: str | None
    recipient_id: UUID
    parts: tuple[Notification, ...]

    @property
    def template(self) -> str:
        return self.parts[0].template if len(self.parts) == 1 else DIGEST

    @property
    def notification_ids(self) -> list[UUID]:
        return [part.notification_id for part in self.parts]


@dataclass(frozen=True, slots=True)
class Outcome:
    notification_id: UUID
    status: Status
    """sent, failed or expired."""
    error: str | None = None


def sent(message: "Message") -> list[Outcome]:
    return [Outcome(n, Status.SENT) for n in message.notification_ids]


def failed(message: "Message", error: str) -> list[Outcome]:
    return [Outcome(n, Status.FAILED, error) for n in message.notification_ids]


def groups(notifications: Iterable[Notification]) -> list[list[Notification]]:
    """Notifications in the order given, those sharing recipient, channel and group key together."""
    grouped: dict[tuple[UUID, Channel, str] | UUID, list[Notification]] = {}
    for notification in notifications:
        key: tuple[UUID, Channel, str] | UUID = (
            (notification.recipient_id, notification.channel, notification.group_key)
            if notification.group_key
            else notification.notification_id
        )
        grouped.setdefault(key, []).append(notification)
    return list(grouped.values())


def address_of(channel: Channel, recipient_id: UUID, contact: Contact | None) -> str | None:
    if channel is Channel.PUSH:
        return f"push:{recipient_id}"
    if contact is None:
        return None
    return contact.email if channel is Channel.EMAIL else contact.phone


def compose(
    group: Sequence[Notification], contacts: Mapping[UUID, Contact], *, now: datetime
) -> tuple[Message | None, list[Outcome]]:
    """The message for the live part of a group, and the outcomes of its expired part."""
    live = [n for n in group if n.expires_at > now]
    expired = [
        Outcome(n.notification_id, Status.EXPIRED, "expired before it could be sent")
        for n in group
        if n.expires_at <= now
    ]
    if not live:
        return None, expired
    first = live[0]
    address = address_of(first.channel, first.recipient_id, contacts.get(first.recipient_id))
    return Message(first.channel, address, first.recipient_id, tuple(live)), expired


def bounce_reason(message: Message) -> str | None:
    """Why the simulated provider rejects `message`, or None when it delivers it."""
    if message.address is None:
        return f"no {message.channel.value} address for recipient {message.recipient_id}"
    if BOUNCE_MARK in message.address:
        return f"{message.channel.value} provider: hard bounce"  # no address: batch reports carry no PII
    return None
