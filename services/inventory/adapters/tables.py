"""The inventory service's tables, on the platform's shared metadata (prefixed: tests import several
services into one process, and `create_all` creates what is registered)."""

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Uuid,
)

from services.platform.database import UtcDateTime, metadata

__all__ = [
    "artisans",
    "availability",
    "demand",
    "order_lines",
    "purchase_orders",
    "reservation_lines",
    "reservations",
    "stock",
]

stock = Table(
    "inventory_stock",
    metadata,
    Column("product_id", Uuid, primary_key=True),
    Column("artisan_id", Uuid, nullable=False),
    Column("name", String(200), nullable=False),
    Column("threshold", Integer, nullable=False),
    Column("on_hand", Integer, nullable=False),
    Column("reserved", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("alert", String(16)),
    Column("listed_at", UtcDateTime, nullable=False),
    Column("last_restock_at", UtcDateTime, nullable=False),
    # The database refuses what the rules forbid, whatever the code does: available never below zero.
    CheckConstraint("reserved >= 0 AND on_hand >= reserved", name="bounds"),
)

reservations = Table(
    "inventory_reservations",
    metadata,
    Column("reservation_id", Uuid, primary_key=True),
    Column("order_id", Uuid, nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("priority", String(16), nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("confirmed_at", UtcDateTime),
    Column("closed_at", UtcDateTime),
    Column("reason", String(500)),
    Column("shortage", JSON),
    Column("correlation_id", Uuid),
    Column("causation_id", Uuid),
    Index(None, "status", "expires_at"),  # the expiry timer's scan
)

reservation_lines = Table(
    "inventory_reservation_lines",
    metadata,
    Column("reservation_id", Uuid, nullable=False),
    Column("product_id", Uuid, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("warehouse_id", String(64), nullable=False),
    Column("location", String(120), nullable=False),
    PrimaryKeyConstraint("reservation_id", "product_id"),
)

order_lines = Table(
    "inventory_order_lines",
    metadata,
    Column("order_id", Uuid, nullable=False),
    Column("product_id", Uuid, nullable=False),
    Column("committed", Integer, nullable=False),
    PrimaryKeyConstraint("order_id", "product_id"),
    CheckConstraint("committed >= 0", name="committed"),
)

demand = Table(
    "inventory_demand",
    metadata,
    Column("order_id", Uuid, nullable=False),
    Column("product_id", Uuid, nullable=False),
    Column("day", Date, nullable=False),
    Column("units", Integer, nullable=False),
    PrimaryKeyConstraint("order_id", "product_id"),
    Index(None, "product_id", "day"),
)

artisans = Table(
    "inventory_artisans",
    metadata,
    Column("artisan_id", Uuid, primary_key=True),
    Column("town", String(100), nullable=False),
    Column("monthly_capacity", Integer, nullable=False),
    Column("completed_at", UtcDateTime, nullable=False),
)

purchase_orders = Table(
    "inventory_purchase_orders",
    metadata,
    Column("purchase_order_id", Uuid, primary_key=True),
    Column("product_id", Uuid, nullable=False),
    Column("artisan_id", Uuid, nullable=False),
    Column("threshold_kind", String(16), nullable=False),
    Column("recommended", Integer, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("scheduled_for", UtcDateTime),
    Column("restock_id", Uuid),
    Column("reason", String(500)),
    Column("closed_at", UtcDateTime),
    Column("correlation_id", Uuid),
    Index(None, "status", "scheduled_for"),  # the restock timer's scan
    Index(None, "artisan_id", "status"),
    Index(None, "product_id", "status"),
)

# The availability read model (projection `inventory-availability`): written only by the projection's
# consumer, emptied and replayed by a rebuild. Everything above is the service's own state.
availability = Table(
    "inventory_availability",
    metadata,
    Column("product_id", Uuid, primary_key=True),
    Column("on_hand", Integer, nullable=False),
    Column("reserved", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
