"""The notification service's tables. Prefixed `notification_`: every service shares the metadata.

`notification_contacts` is a read model (consumers `notification-on-user-registered` and
`notification-on-artisan-onboarding-completed`, both on streams that keep their events); it holds the
addresses in clear because sending needs them, and nothing else does. `notification_orders` maps orders
to customers (from `order.created`). `notifications` is the record of what was scheduled and sent.
"""

from sqlalchemy import JSON, Column, Index, Integer, String, Table, Uuid

from services.platform.database import UtcDateTime, metadata

__all__ = ["contacts", "notifications", "orders"]

contacts = Table(
    "notification_contacts",
    metadata,
    Column("contact_id", Uuid, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("email", String(320), nullable=True),
    Column("phone", String(20), nullable=True),
    Column("language", String(2), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

orders = Table(
    "notification_orders",
    metadata,
    Column("order_id", Uuid, primary_key=True),
    Column("customer_id", Uuid, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

notifications = Table(
    "notifications",
    metadata,
    Column("notification_id", Uuid, primary_key=True),
    Column("recipient_id", Uuid, nullable=False),
    Column("channel", String(10), nullable=False),
    Column("template", String(80), nullable=False),
    Column("variables", JSON, nullable=False),
    Column("priority", String(10), nullable=False),
    Column("priority_rank", Integer, nullable=False),
    Column("scheduled_for", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("group_key", String(120), nullable=True, index=True),
    Column("related_type", String(40), nullable=True),
    Column("related_id", String(64), nullable=True),
    Column("status", String(10), nullable=False),
    Column("batch_id", Uuid, nullable=True),
    Column("claimed_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("error", String(1000), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "status", "scheduled_for"),  # the sender's due query
)
