"""The user service's tables. Prefixed `user_`: every service registers on the platform's one metadata.

Read models of the USERS stream (consumer `user-profiles-projection`, rebuildable from the stream, which
keeps its events): `user_customers`, `user_blocks`, `user_payment_methods`. Segmentation state, fed by
behaviour and loyalty events and publishing `user.segment.changed`: `user_segmentations`,
`user_segment_signals`. Answers to the saga: `user_customer_validations`.
"""

from sqlalchemy import JSON, Boolean, Column, Integer, String, Table, Uuid

from services.platform.database import UtcDateTime, metadata

__all__ = [
    "blocks",
    "customers",
    "payment_methods",
    "segment_signals",
    "segmentations",
    "validations",
]

customers = Table(
    "user_customers",
    metadata,
    Column("user_id", Uuid, primary_key=True),
    Column("first_name", String(60), nullable=False),
    Column("preferred_language", String(2), nullable=False),
    Column("registered_at", UtcDateTime, nullable=False),
)

blocks = Table(
    "user_blocks",
    metadata,
    Column("user_id", Uuid, primary_key=True),
    Column("reason", String(500), nullable=False),
    Column("blocked_at", UtcDateTime, nullable=False),
)

payment_methods = Table(
    "user_payment_methods",
    metadata,
    Column("payment_method_id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("label", String(60), nullable=False),
    Column("expiry_month", Integer, nullable=True),
    Column("expiry_year", Integer, nullable=True),
    Column("is_default", Boolean, nullable=False),
    Column("added_at", UtcDateTime, nullable=False),
)

segmentations = Table(
    "user_segmentations",
    metadata,
    Column("user_id", Uuid, primary_key=True),
    Column("olive_oil_interactions", Integer, nullable=False),
    Column("confirmed_orders", Integer, nullable=False),
    Column("balance", Integer, nullable=False),
    Column("tier", String(10), nullable=True),
    Column("last_order_at", UtcDateTime, nullable=True),
    Column("segments", JSON, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

segment_signals = Table(
    "user_segment_signals",
    metadata,
    Column("user_id", Uuid, primary_key=True),
    Column("signal_id", Uuid, primary_key=True),
    Column("kind", String(30), nullable=False),
    Column("seen_at", UtcDateTime, nullable=False),
)

validations = Table(
    "user_customer_validations",
    metadata,
    Column("validation_id", Uuid, primary_key=True),
    Column("customer_id", Uuid, nullable=False),
    Column("order_id", Uuid, nullable=False),
    Column("rejection", String(20), nullable=True),
    Column("segments", JSON, nullable=False),
    Column("validated_at", UtcDateTime, nullable=False),
)
