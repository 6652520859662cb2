"""The artisan service's read models: the geo directory of workshops and each artisan's orders and earnings.

Directory: one row per onboarded artisan with the workshop's coordinates (indexed for the bounding-box
prefilter) and one row per (artisan, category) for the category filter.

Orders: order.created, order.state.changed and payment.split.created come from three consumers, so any
of them may arrive first. Each is kept in its own table under a business guard (order lines once per
order and artisan, the newest state change wins and the first time each milestone was reached is kept,
a split once per split and artisan); the evaluation joins them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Uuid,
    and_,
    case,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from a4co_sdk.models import artisan, order, payment
from services.artisan.domain.geo import bounding_box, haversine_km
from services.artisan.domain.performance import Activity
from services.platform.database import UtcDateTime, dialect_insert, metadata

__all__ = [
    "ArtisanDirectory",
    "ArtisanOrders",
    "DirectoryEntry",
    "GeoMatch",
    "categories",
    "directory",
    "earnings",
    "order_lines",
    "order_states",
]

directory = Table(
    "artisan_directory",
    metadata,
    Column("artisan_id", Uuid, primary_key=True),
    Column("business_name", String(120), nullable=False),
    Column("town", String(100), nullable=False),
    Column("province", String(100), nullable=False),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("categories", JSON, nullable=False),
    Column("delivery_radius_km", Float, nullable=False),
    Column("monthly_capacity_units", Integer, nullable=False),
    Column("onboarding_score", Float, nullable=False),
    Column("completed_at", UtcDateTime, nullable=False),
    Index("ix_artisan_directory_lat_lon", "latitude", "longitude"),
)

categories = Table(
    "artisan_directory_categories",
    metadata,
    Column("artisan_id", Uuid, primary_key=True),
    Column("category", String(20), primary_key=True),
    Index("ix_artisan_directory_categories_category", "category", "artisan_id"),
)

order_lines = Table(
    "artisan_order_lines",
    metadata,
    Column("order_id", Uuid, primary_key=True),
    Column("artisan_id", Uuid, primary_key=True),
    Column("units", Integer, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("delivery_due", UtcDateTime, nullable=False),
    Index("ix_artisan_order_lines_artisan_created", "artisan_id", "created_at"),
)

order_states = Table(
    "artisan_order_states",
    metadata,
    Column("order_id", Uuid, primary_key=True),
    Column("state", String(30), nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
    Column("confirmed_at", UtcDateTime, nullable=True),
    Column("delivered_at", UtcDateTime, nullable=True),
    Column("cancelled_at", UtcDateTime, nullable=True),
)

earnings = Table(
    "artisan_earnings",
    metadata,
    Column("split_id", Uuid, primary_key=True),
    Column("artisan_id", Uuid, primary_key=True),
    Column("order_id", Uuid, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_artisan_earnings_artisan_created", "artisan_id", "created_at"),
)

FULFILLED = ("confirmed", "delivery_scheduled", "shipped", "delivered")
FINISHED = ("delivered", "cancelled")


def _cents(amount: Any) -> int:
    return int((amount * 100).to_integral_value())


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    artisan_id: UUID
    business_name: str
    town: str
    categories: tuple[str, ...]
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class GeoMatch:
    entry: DirectoryEntry
    distance_km: float


class ArtisanDirectory:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def onboard(self, completed: artisan.ArtisanOnboardingCompleted) -> None:
        """The newest onboarding of an artisan wins (a repeated or older one changes nothing)."""
        info = completed.business_info
        capabilities = completed.delivery_capabilities
        wanted = list(dict.fromkeys(c.value for c in completed.product_categories))
        values = {
            "artisan_id": completed.artisan_id,
            "business_name": info.business_name,
            "town": info.town,
            "province": info.province,
            "latitude": info.location.latitude,
            "longitude": info.location.longitude,
            "categories": wanted,
            "delivery_radius_km": capabilities.delivery_radius_km,
            "monthly_capacity_units": capabilities.monthly_capacity_units,
            "onboarding_score": completed.onboarding_score,
            "completed_at": completed.completed_at,
        }
        insert = dialect_insert(self._session, directory).values(values)
        result = await self._session.execute(
            insert.on_conflict_do_update(
                index_elements=[directory.c.artisan_id],
                set_={k: insert.excluded[k] for k in values if k != "artisan_id"},
                where=directory.c.completed_at <= insert.excluded.completed_at,
            ).returning(directory.c.artisan_id)
        )
        if result.first() is None:  # an older onboarding than the one kept: its categories are stale too
            return
        await self._session.execute(
            categories.delete().where(categories.c.artisan_id == completed.artisan_id)
        )
        await self._session.execute(
            categories.insert(), [{"artisan_id": completed.artisan_id, "category": c} for c in wanted]
        )

    async def ids(self) -> list[UUID]:
        return list((await self._session.execute(select(directory.c.artisan_id))).scalars())

    async def entries(self) -> dict[UUID, DirectoryEntry]:
        rows = await self._session.execute(select(directory))
        return {row.artisan_id: _entry(row) for row in rows}

    async def near(
        self, latitude: float, longitude: float, radius_km: float, *, category: str | None = None
    ) -> list[GeoMatch]:
        """Every artisan within `radius_km`, nearest first: a bounding box in SQL, the exact distance here."""
        box = bounding_box(latitude, longitude, radius_km)
        c = directory.c
        longitude_ranges = [c.longitude.between(west, east) for west, east in box.longitudes]
        statement = select(directory).where(
            c.latitude.between(box.min_lat, box.max_lat), or_(*longitude_ranges)
        )
        if category is not None:
            statement = statement.where(
                exists().where(
                    and_(categories.c.artisan_id == c.artisan_id, categories.c.category == category)
                )
            )
        matches = []
        for row in await self._session.execute(statement):
            distance = haversine_km(latitude, longitude, row.latitude, row.longitude)
            if distance <= radius_km:
                matches.append(GeoMatch(_entry(row), distance))
        matches.sort(key=lambda m: (m.distance_km, m.entry.business_name, m.entry.artisan_id))
        return matches


def _entry(row: Any) -> DirectoryEntry:
    return DirectoryEntry(
        artisan_id=row.artisan_id,
        business_name=row.business_name,
        town=row.town,
        categories=tuple(row.categories),
        latitude=row.latitude,
        longitude=row.longitude,
    )


class ArtisanOrders:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record_order(self, created: order.OrderCreated) -> int:
        """One row per artisan with products in the order (lines without an artisan are not theirs);
        returns how many were new."""
        per_artisan: dict[UUID, tuple[int, int]] = {}
        for item in created.items:
            if item.artisan_id is None:
                continue
            units, cents = per_artisan.get(item.artisan_id, (0, 0))
            per_artisan[item.artisan_id] = (
                units + item.quantity,
                cents + _cents(item.unit_price.amount) * item.quantity,
            )
        if not per_artisan:
            return 0
        rows = [
            {
                "order_id": created.order_id,
                "artisan_id": artisan_id,
                "units": units,
                "amount_cents": cents,
                "created_at": created.created_at,
                "delivery_due": created.estimated_delivery.end,
            }
            for artisan_id, (units, cents) in per_artisan.items()
        ]
        insert = (
            dialect_insert(self._session, order_lines)
            .values(rows)
            .on_conflict_do_nothing(index_elements=[order_lines.c.order_id, order_lines.c.artisan_id])
            .returning(order_lines.c.artisan_id)
        )
        return len((await self._session.execute(insert)).all())

    async def record_state(self, changed: order.OrderStateChanged) -> None:
        """The newest state wins; the first time an order was confirmed, delivered or cancelled is kept."""
        state = changed.current_state.value
        values = {
            "order_id": changed.order_id,
            "state": state,
            "changed_at": changed.changed_at,
            "confirmed_at": changed.changed_at if state == "confirmed" else None,
            "delivered_at": changed.changed_at if state == "delivered" else None,
            "cancelled_at": changed.changed_at if state == "cancelled" else None,
        }
        insert = dialect_insert(self._session, order_states).values(values)
        newer = insert.excluded.changed_at >= order_states.c.changed_at
        milestones = ("confirmed_at", "delivered_at", "cancelled_at")
        await self._session.execute(
            insert.on_conflict_do_update(
                index_elements=[order_states.c.order_id],
                set_={
                    "state": case((newer, insert.excluded.state), else_=order_states.c.state),
                    "changed_at": case((newer, insert.excluded.changed_at), else_=order_states.c.changed_at),
                    **{m: func.coalesce(order_states.c[m], insert.excluded[m]) for m in milestones},
                },
            )
        )

    async def record_split(self, split: payment.PaymentSplitCreated) -> int:
        """The artisans' shares of a payment split (the platform's and delivery's are not theirs); returns
        how many were new."""
        shares: dict[UUID, int] = {}
        for share in split.splits:
            if share.recipient_type != payment.RecipientType.ARTISAN:
                continue
            try:
                artisan_id = UUID(share.recipient_id)
            except ValueError:
                continue  # an artisan share always names the artisan's id; anything else is not ours
            shares[artisan_id] = shares.get(artisan_id, 0) + _cents(share.amount.amount)
        if not shares:
            return 0
        rows = [
            {
                "split_id": split.split_id,
                "artisan_id": artisan_id,
                "order_id": split.order_id,
                "amount_cents": cents,
                "created_at": split.created_at,
            }
            for artisan_id, cents in shares.items()
        ]
        insert = (
            dialect_insert(self._session, earnings)
            .values(rows)
            .on_conflict_do_nothing(index_elements=[earnings.c.split_id, earnings.c.artisan_id])
            .returning(earnings.c.artisan_id)
        )
        return len((await self._session.execute(insert)).all())

    async def activity(self, start: datetime, end: datetime) -> dict[UUID, Activity]:
        """Each artisan's activity in [start, end): orders placed in it, earnings of splits created in it."""
        lines, states = order_lines.c, order_states.c

        def count(condition: Any) -> Any:
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        in_period = and_(lines.created_at >= start, lines.created_at < end)
        is_open = or_(states.state.is_(None), states.state.not_in(FINISHED))
        rows = await self._session.execute(
            select(
                lines.artisan_id,
                count(in_period).label("orders"),
                count(and_(in_period, states.state.in_(FULFILLED))).label("fulfilled"),
                count(and_(in_period, states.state == "cancelled")).label("cancelled"),
                count(and_(in_period, states.delivered_at.is_not(None))).label("delivered"),
                count(and_(in_period, states.delivered_at <= lines.delivery_due)).label("on_time"),
                count(is_open).label("open_orders"),
            )
            .select_from(order_lines.outerjoin(order_states, states.order_id == lines.order_id))
            .group_by(lines.artisan_id)
        )
        revenue = dict(
            (
                await self._session.execute(
                    select(earnings.c.artisan_id, func.sum(earnings.c.amount_cents))
                    .where(earnings.c.created_at >= start, earnings.c.created_at < end)
                    .group_by(earnings.c.artisan_id)
                )
            ).all()
        )
        activity = {
            row.artisan_id: Activity(
                orders=int(row.orders),
                fulfilled=int(row.fulfilled),
                cancelled=int(row.cancelled),
                delivered=int(row.delivered),
                delivered_on_time=int(row.on_time),
                open_orders=int(row.open_orders),
                revenue_cents=int(revenue.pop(row.artisan_id, 0) or 0),
            )
            for row in rows
        }
        for artisan_id, cents in revenue.items():
            activity[artisan_id] = Activity(revenue_cents=int(cents or 0))
        return activity

    async def open_orders(self, artisan_id: UUID) -> int:
        """Orders with the artisan's products that are neither delivered nor cancelled."""
        states = order_states.c
        return int(
            (
                await self._session.execute(
                    select(func.count())
                    .select_from(
                        order_lines.outerjoin(order_states, states.order_id == order_lines.c.order_id)
                    )
                    .where(
                        order_lines.c.artisan_id == artisan_id,
                        or_(states.state.is_(None), states.state.not_in(FINISHED)),
                    )
                )
            ).scalar_one()
        )
