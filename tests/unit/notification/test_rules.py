"""Notification rules: channels, timing, expiry, identity, grouping and the providers' verdicts. Pure."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from services.notification.domain.notifications import (
    Channel,
    Contact,
    Draft,
    Priority,
    choose_channel,
    schedule,
)
from services.notification.domain.sending import address_of, bounce_reason, compose, groups

NOW = datetime(2026, 11, 20, 10, tzinfo=UTC)
WINDOW = timedelta(seconds=10)
FULL = Contact(uuid4(), "customer", "maria@example.es", "+34600001111", "es")
EMAIL_ONLY = Contact(uuid4(), "customer", "juan@example.es", None, "es")
PHONE_ONLY = Contact(uuid4(), "artisan", None, "+34600002222", "es")


def draft(
    priority: Priority = Priority.NORMAL,
    *,
    group: str | None = "order:1",
    ttl_days: float = 2,
    **over: Any,
) -> Draft:
    base = Draft(
        key="order-1",
        recipient_id=FULL.contact_id,
        template="order.received",
        variables={"orderId": "1"},
        priority=priority,
        occurred_at=NOW,
        ttl=timedelta(days=ttl_days),
        group_key=group,
        related_to=("order", "1"),
    )
    return replace(base, **over)


def test_urgent_notifications_go_by_sms_when_there_is_a_phone() -> None:
    assert choose_channel(Priority.HIGH, FULL) is Channel.SMS
    assert choose_channel(Priority.CRITICAL, EMAIL_ONLY) is Channel.EMAIL
    assert choose_channel(Priority.NORMAL, FULL) is Channel.EMAIL
    assert choose_channel(Priority.LOW, PHONE_ONLY) is Channel.SMS
    assert choose_channel(Priority.HIGH, None) is Channel.PUSH  # unknown to the directory: the app


def test_grouped_low_and_normal_notifications_wait_one_window_urgent_ones_do_not() -> None:
    waiting = schedule(draft(Priority.NORMAL), FULL, now=NOW, window=WINDOW)
    urgent = schedule(draft(Priority.HIGH), FULL, now=NOW, window=WINDOW)
    alone = schedule(draft(Priority.LOW, group=None), FULL, now=NOW, window=WINDOW)
    assert waiting is not None
    assert urgent is not None
    assert alone is not None
    assert waiting.scheduled_for == NOW + WINDOW
    assert urgent.scheduled_for == NOW
    assert alone.scheduled_for == NOW
    assert waiting.expires_at == NOW + timedelta(days=2)


def test_an_expired_fact_schedules_nothing() -> None:
    old = draft(occurred_at=NOW - timedelta(days=3))
    assert schedule(old, FULL, now=NOW, window=WINDOW) is None


def test_the_same_fact_gets_the_same_notification_id() -> None:
    first = schedule(draft(), FULL, now=NOW, window=WINDOW)
    again = schedule(draft(), FULL, now=NOW + timedelta(minutes=5), window=WINDOW)
    other = schedule(draft(key="order-2"), FULL, now=NOW, window=WINDOW)
    assert first is not None
    assert again is not None
    assert other is not None
    assert first.notification_id == again.notification_id != other.notification_id


def test_notifications_of_one_recipient_channel_and_group_leave_together() -> None:
    a = schedule(draft(key="a"), FULL, now=NOW, window=WINDOW)
    b = schedule(draft(key="b", template="payment.received"), FULL, now=NOW, window=WINDOW)
    c = schedule(draft(key="c", group=None), FULL, now=NOW, window=WINDOW)
    d = schedule(draft(key="d", recipient_id=EMAIL_ONLY.contact_id), EMAIL_ONLY, now=NOW, window=WINDOW)
    assert a
    assert b
    assert c
    assert d
    assert groups([a, c, b, d]) == [[a, b], [c], [d]]
    message, expired = compose([a, b], {FULL.contact_id: FULL}, now=NOW)
    assert expired == []
    assert message is not None
    assert (message.template, message.address, message.notification_ids) == (
        "digest",
        "maria@example.es",
        [a.notification_id, b.notification_id],
    )


def test_an_expired_member_is_reported_not_sent() -> None:
    short = schedule(draft(key="short", ttl_days=0.5), FULL, now=NOW, window=WINDOW)
    long = schedule(draft(key="long"), FULL, now=NOW, window=WINDOW)
    assert short
    assert long
    message, expired = compose([short, long], {FULL.contact_id: FULL}, now=NOW + timedelta(days=1))
    assert message is not None
    assert message.notification_ids == [long.notification_id]
    assert [(o.notification_id, o.status.value) for o in expired] == [(short.notification_id, "expired")]


def test_the_simulated_providers_bounce_plus_bounce_addresses_and_missing_ones() -> None:
    recipient = uuid4()
    bouncing = Contact(recipient, "customer", "pedro+bounce@example.es", None, "es")
    assert address_of(Channel.PUSH, recipient, None) == f"push:{recipient}"
    assert address_of(Channel.SMS, recipient, bouncing) is None
    notification = schedule(draft(recipient_id=recipient, group=None), bouncing, now=NOW, window=WINDOW)
    assert notification is not None
    assert notification.channel is Channel.EMAIL
    message, _ = compose([notification], {recipient: bouncing}, now=NOW)
    assert message is not None
    reason = bounce_reason(message)
    assert reason == "email provider: hard bounce"
    assert "pedro" not in reason  # batch reports carry no addresses
    ok, _ = compose([notification], {recipient: EMAIL_ONLY}, now=NOW)
    assert ok is not None
    assert bounce_reason(ok) is None
