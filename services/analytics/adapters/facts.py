"""The analytics read model: per-minute buckets, the orders behind them, sessions, and names.

Counts and sums live in per-minute buckets (`analytics_minutes` by metric, `analytics_product_minutes`,
`analytics_artisan_minutes`), so a window is a cheap sum and the figures survive restarts. A bucket is
only ever incremented, and only once per business fact: `analytics_seen` records the business ids
already counted (payment, refund, split, delivery...), and an order's milestones (placed, confirmed,
cancelled, its lines counted) are claimed with conditional updates on its row, which PostgreSQL locks
and SQLite serialises. So a redelivered message, a second copy of an event, or two consumers racing
over the same order count it once.

Sessions are kept per (session, minute) with their user, for the conversion rate: a session converts
when its user placed an order in the window.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    Uuid,
    and_,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics.domain.windows import minute_of
from services.platform.database import UtcDateTime, dialect_insert, metadata

__all__ = [
    "TABLES",
    "AnalyticsFacts",
    "Line",
    "RankedArtisan",
    "RankedProduct",
    "artisans",
    "minutes",
    "order_lines",
    "orders",
    "products",
    "seen",
    "sessions",
    "user_segments",
]

minutes = Table(
    "analytics_minutes",
    metadata,
    Column("minute", UtcDateTime, primary_key=True),
    Column("metric", String(40), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

product_minutes = Table(
    "analytics_product_minutes",
    metadata,
    Column("minute", UtcDateTime, primary_key=True),
    Column("product_id", Uuid, primary_key=True),
    Column("units", BigInteger, nullable=False),
    Column("revenue_cents", BigInteger, nullable=False),
)

artisan_minutes = Table(
    "analytics_artisan_minutes",
    metadata,
    Column("minute", UtcDateTime, primary_key=True),
    Column("artisan_id", Uuid, primary_key=True),
    Column("orders", BigInteger, nullable=False),
    Column("revenue_cents", BigInteger, nullable=False),
)

orders = Table(
    "analytics_orders",
    metadata,
    Column("order_id", Uuid, primary_key=True),
    Column("customer_id", Uuid, nullable=True),
    Column("created_at", UtcDateTime, nullable=True, index=True),
    Column("total_cents", BigInteger, nullable=True),
    Column("confirmed_at", UtcDateTime, nullable=True),
    Column("cancelled_at", UtcDateTime, nullable=True),
    Column("lines_counted", Boolean, nullable=False, default=False),
    Column("state", String(30), nullable=True),
    Column("changed_at", UtcDateTime, nullable=True),
    Column("first_seen_at", UtcDateTime, nullable=False),
    Index("ix_analytics_orders_customer_created", "customer_id", "created_at"),
)

order_lines = Table(
    "analytics_order_lines",
    metadata,
    Column("order_id", Uuid, primary_key=True),
    Column("product_id", Uuid, primary_key=True),
    Column("artisan_id", Uuid, nullable=True),
    Column("product_name", String(200), nullable=True),
    Column("quantity", Integer, nullable=False),
    Column("unit_cents", BigInteger, nullable=False),
)

sessions = Table(
    "analytics_sessions",
    metadata,
    Column("session_id", String(128), primary_key=True),
    Column("minute", UtcDateTime, primary_key=True),
    Column("user_id", Uuid, nullable=False),
    Index("ix_analytics_sessions_minute", "minute", "session_id"),
)

seen = Table(
    "analytics_seen",
    metadata,
    Column("kind", String(30), primary_key=True),
    Column("business_id", Uuid, primary_key=True),
    Column("happened_at", UtcDateTime, nullable=False, index=True),
)

products = Table(
    "analytics_products",
    metadata,
    Column("product_id", Uuid, primary_key=True),
    Column("artisan_id", Uuid, nullable=False),
    Column("name", String(200), nullable=False),
    Column("category", String(20), nullable=False),
    Column("listed_at", UtcDateTime, nullable=False),
)

artisans = Table(
    "analytics_artisans",
    metadata,
    Column("artisan_id", Uuid, primary_key=True),
    Column("name", String(120), nullable=True),
    Column("town", String(100), nullable=True),
    Column("completed_at", UtcDateTime, nullable=True),
    Column("tier", String(10), nullable=True),
    Column("evaluated_at", UtcDateTime, nullable=True),
)

user_segments = Table(
    "analytics_user_segments",
    metadata,
    Column("user_id", Uuid, primary_key=True),
    Column("segments", JSON, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
)

TABLES = (
    minutes,
    product_minutes,
    artisan_minutes,
    orders,
    order_lines,
    sessions,
    seen,
    products,
    artisans,
    user_segments,
)


@dataclass(frozen=True, slots=True)
class Line:
    product_id: UUID
    artisan_id: UUID | None
    product_name: str | None
    quantity: int
    unit_cents: int


@dataclass(frozen=True, slots=True)
class RankedProduct:
    product_id: UUID
    name: str
    units: int
    revenue_cents: int


@dataclass(frozen=True, slots=True)
class RankedArtisan:
    artisan_id: UUID
    name: str
    orders: int
    revenue_cents: int


class AnalyticsFacts:
    """Counting facts into buckets, once each, and reading windows back."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # -- counting ----------------------------------------------------------------------------------------

    async def first_time(self, kind: str, business_id: UUID, happened_at: datetime) -> bool:
        """True the first time (kind, business_id) is seen: count the fact now; False: counted before."""
        insert = (
            dialect_insert(self._session, seen)
            .values(kind=kind, business_id=business_id, happened_at=happened_at)
            .on_conflict_do_nothing(index_elements=[seen.c.kind, seen.c.business_id])
            .returning(seen.c.business_id)
        )
        return (await self._session.execute(insert)).first() is not None

    async def add(self, moment: datetime, values: Mapping[str, int]) -> None:
        """Add `values` (metric -> amount) to the bucket of `moment`."""
        rows = [{"minute": minute_of(moment), "metric": m, "value": v} for m, v in values.items() if v]
        if not rows:
            return
        insert = dialect_insert(self._session, minutes)
        await self._session.execute(
            insert.on_conflict_do_update(
                index_elements=[minutes.c.minute, minutes.c.metric],
                set_={"value": minutes.c.value + insert.excluded.value},
            ),
            rows,
        )

    async def _ensure_order(self, order_id: UUID, now: datetime) -> None:
        await self._session.execute(
            dialect_insert(self._session, orders)
            .values(order_id=order_id, lines_counted=False, first_seen_at=now)
            .on_conflict_do_nothing(index_elements=[orders.c.order_id])
        )

    async def place_order(
        self, order_id: UUID, customer_id: UUID, total_cents: int, created_at: datetime, lines: Iterable[Line]
    ) -> bool:
        """Record a placed order; True the first time (then it is counted in orders_placed)."""
        await self._ensure_order(order_id, created_at)
        claimed = await self._session.execute(
            update(orders)
            .where(orders.c.order_id == order_id, orders.c.created_at.is_(None))
            .values(customer_id=customer_id, total_cents=total_cents, created_at=created_at)
            .returning(orders.c.order_id)
        )
        if claimed.first() is None:
            return False
        merged: dict[UUID, Line] = {}
        for line in lines:  # the same product twice in an order is one line of both quantities
            kept = merged.get(line.product_id)
            merged[line.product_id] = (
                line
                if kept is None
                else Line(
                    line.product_id,
                    line.artisan_id,
                    line.product_name,
                    kept.quantity + line.quantity,
                    line.unit_cents,
                )
            )
        if merged:
            await self._session.execute(
                dialect_insert(self._session, order_lines).on_conflict_do_nothing(
                    index_elements=[order_lines.c.order_id, order_lines.c.product_id]
                ),
                [
                    {
                        "order_id": order_id,
                        "product_id": line.product_id,
                        "artisan_id": line.artisan_id,
                        "product_name": line.product_name,
                        "quantity": line.quantity,
                        "unit_cents": line.unit_cents,
                    }
                    for line in merged.values()
                ],
            )
        await self.add(created_at, {"orders_placed": 1})
        await self._count_lines(order_id)
        return True

    async def change_state(self, order_id: UUID, state: str, changed_at: datetime) -> None:
        """Record the order's newest state; count its confirmation and cancellation once each."""
        await self._ensure_order(order_id, changed_at)
        await self._session.execute(
            update(orders)
            .where(
                orders.c.order_id == order_id,
                or_(orders.c.changed_at.is_(None), orders.c.changed_at <= changed_at),
            )
            .values(state=state, changed_at=changed_at)
        )
        milestone = {"confirmed": "confirmed_at", "cancelled": "cancelled_at"}.get(state)
        if milestone is None:
            return
        claimed = await self._session.execute(
            update(orders)
            .where(orders.c.order_id == order_id, orders.c[milestone].is_(None))
            .values({milestone: changed_at})
            .returning(orders.c.order_id)
        )
        if claimed.first() is None:
            return
        await self.add(changed_at, {f"orders_{state}": 1})
        if state == "confirmed":
            await self._count_lines(order_id)

    async def _count_lines(self, order_id: UUID) -> None:
        """Once an order is both placed and confirmed: its units per product and its artisans, once."""
        claimed = (
            await self._session.execute(
                update(orders)
                .where(
                    orders.c.order_id == order_id,
                    orders.c.lines_counted.is_(False),
                    orders.c.created_at.is_not(None),
                    orders.c.confirmed_at.is_not(None),
                )
                .values(lines_counted=True)
                .returning(orders.c.confirmed_at)
            )
        ).first()
        if claimed is None:
            return
        minute = minute_of(claimed.confirmed_at)
        lines = (
            await self._session.execute(select(order_lines).where(order_lines.c.order_id == order_id))
        ).all()
        if not lines:
            return
        by_product = [
            {
                "minute": minute,
                "product_id": line.product_id,
                "units": line.quantity,
                "revenue_cents": line.quantity * line.unit_cents,
            }
            for line in lines
        ]
        insert = dialect_insert(self._session, product_minutes)
        await self._session.execute(
            insert.on_conflict_do_update(
                index_elements=[product_minutes.c.minute, product_minutes.c.product_id],
                set_={
                    "units": product_minutes.c.units + insert.excluded.units,
                    "revenue_cents": product_minutes.c.revenue_cents + insert.excluded.revenue_cents,
                },
            ),
            by_product,
        )
        per_artisan: dict[UUID, int] = {}
        for line in lines:
            if line.artisan_id is not None:
                per_artisan[line.artisan_id] = (
                    per_artisan.get(line.artisan_id, 0) + line.quantity * line.unit_cents
                )
        if not per_artisan:
            return
        insert_artisans = dialect_insert(self._session, artisan_minutes)
        await self._session.execute(
            insert_artisans.on_conflict_do_update(
                index_elements=[artisan_minutes.c.minute, artisan_minutes.c.artisan_id],
                set_={
                    "orders": artisan_minutes.c.orders + insert_artisans.excluded.orders,
                    "revenue_cents": artisan_minutes.c.revenue_cents + insert_artisans.excluded.revenue_cents,
                },
            ),
            [
                {"minute": minute, "artisan_id": artisan_id, "orders": 1, "revenue_cents": cents}
                for artisan_id, cents in per_artisan.items()
            ],
        )

    async def track_session(self, session_id: str, user_id: UUID, moment: datetime) -> None:
        await self._session.execute(
            dialect_insert(self._session, sessions)
            .values(session_id=session_id, minute=minute_of(moment), user_id=user_id)
            .on_conflict_do_nothing(index_elements=[sessions.c.session_id, sessions.c.minute])
        )

    async def name_product(
        self, product_id: UUID, artisan_id: UUID, name: str, category: str, listed_at: datetime
    ) -> None:
        values = {
            "product_id": product_id,
            "artisan_id": artisan_id,
            "name": name,
            "category": category,
            "listed_at": listed_at,
        }
        insert = dialect_insert(self._session, products).values(values)
        await self._session.execute(
            insert.on_conflict_do_update(
                index_elements=[products.c.product_id],
                set_={k: insert.excluded[k] for k in values if k != "product_id"},
                where=products.c.listed_at <= insert.excluded.listed_at,
            )
        )

    async def name_artisan(self, artisan_id: UUID, name: str, town: str, completed_at: datetime) -> None:
        insert = dialect_insert(self._session, artisans).values(
            artisan_id=artisan_id, name=name, town=town, completed_at=completed_at
        )
        await self._session.execute(
            insert.on_conflict_do_update(
                index_elements=[artisans.c.artisan_id],
                set_={
                    "name": insert.excluded.name,
                    "town": insert.excluded.town,
                    "completed_at": insert.excluded.completed_at,
                },
                where=or_(
                    artisans.c.completed_at.is_(None), artisans.c.completed_at <= insert.excluded.completed_at
                ),
            )
        )

    async def rate_artisan(self, artisan_id: UUID, tier: str, evaluated_at: datetime) -> None:
        insert = dialect_insert(self._session, artisans).values(
            artisan_id=artisan_id, tier=tier, evaluated_at=evaluated_at
        )
        await self._session.execute(
            insert.on_conflict_do_update(
                index_elements=[artisans.c.artisan_id],
                set_={"tier": insert.excluded.tier, "evaluated_at": insert.excluded.evaluated_at},
                where=or_(
                    artisans.c.evaluated_at.is_(None), artisans.c.evaluated_at < insert.excluded.evaluated_at
                ),
            )
        )

    async def segment_user(self, user_id: UUID, segments: list[str], changed_at: datetime) -> None:
        insert = dialect_insert(self._session, user_segments).values(
            user_id=user_id, segments=sorted(set(segments)), changed_at=changed_at
        )
        await self._session.execute(
            insert.on_conflict_do_update(
                index_elements=[user_segments.c.user_id],
                set_={"segments": insert.excluded.segments, "changed_at": insert.excluded.changed_at},
                where=user_segments.c.changed_at <= insert.excluded.changed_at,
            )
        )

    # -- reading -----------------------------------------------------------------------------------------

    async def totals(self, start: datetime) -> dict[str, int]:
        """Each metric's sum over the buckets from `start` on."""
        rows = await self._session.execute(
            select(minutes.c.metric, func.sum(minutes.c.value))
            .where(minutes.c.minute >= start)
            .group_by(minutes.c.metric)
        )
        return {metric: int(total or 0) for metric, total in rows}

    async def sessions_and_conversions(
        self, start: datetime, user_ids: Iterable[UUID] | None = None
    ) -> tuple[int, int]:
        """Sessions seen from `start` on, and how many of them belong to a user who placed an order then.

        `user_ids` narrows both counts to those users (a segment).
        """
        s = sessions.c
        ordered = exists().where(and_(orders.c.customer_id == s.user_id, orders.c.created_at >= start))
        base = select(func.count(func.distinct(s.session_id))).where(s.minute >= start)
        if user_ids is not None:
            wanted = list(user_ids)
            if not wanted:
                return 0, 0
            base = base.where(s.user_id.in_(wanted))
        total = (await self._session.execute(base)).scalar_one()
        converted = (await self._session.execute(base.where(ordered))).scalar_one()
        return int(total), int(converted)

    async def segments(self) -> dict[str, list[UUID]]:
        members: dict[str, list[UUID]] = {}
        for row in await self._session.execute(select(user_segments.c.user_id, user_segments.c.segments)):
            for segment in row.segments:
                members.setdefault(str(segment), []).append(row.user_id)
        return members

    async def top_products(self, start: datetime, limit: int = 10) -> list[RankedProduct]:
        pm = product_minutes.c
        units = func.sum(pm.units).label("units")
        revenue = func.sum(pm.revenue_cents).label("revenue")
        ranked = (
            await self._session.execute(
                select(pm.product_id, units, revenue)
                .where(pm.minute >= start)
                .group_by(pm.product_id)
                .order_by(units.desc(), revenue.desc(), pm.product_id)
                .limit(limit)
            )
        ).all()
        names = await self._product_names([row.product_id for row in ranked])
        return [
            RankedProduct(
                row.product_id,
                names.get(row.product_id) or f"Producto {str(row.product_id)[:8]}",
                int(row.units),
                int(row.revenue),
            )
            for row in ranked
        ]

    async def _product_names(self, ids: list[UUID]) -> dict[UUID, str]:
        if not ids:
            return {}
        names = dict(
            (
                await self._session.execute(
                    select(products.c.product_id, products.c.name).where(products.c.product_id.in_(ids))
                )
            ).all()
        )
        missing = [i for i in ids if i not in names]
        if missing:  # not listed in the catalogue we follow: the name the order carried
            rows = await self._session.execute(
                select(order_lines.c.product_id, func.max(order_lines.c.product_name))
                .where(order_lines.c.product_id.in_(missing), order_lines.c.product_name.is_not(None))
                .group_by(order_lines.c.product_id)
            )
            names.update(rows.all())
        return names

    async def top_artisans(self, start: datetime, limit: int = 10) -> list[RankedArtisan]:
        am = artisan_minutes.c
        orders_count = func.sum(am.orders).label("orders")
        revenue = func.sum(am.revenue_cents).label("revenue")
        ranked = (
            await self._session.execute(
                select(am.artisan_id, orders_count, revenue)
                .where(am.minute >= start)
                .group_by(am.artisan_id)
                .order_by(revenue.desc(), orders_count.desc(), am.artisan_id)
                .limit(limit)
            )
        ).all()
        ids = [row.artisan_id for row in ranked]
        names = (
            dict(
                (
                    await self._session.execute(
                        select(artisans.c.artisan_id, artisans.c.name).where(artisans.c.artisan_id.in_(ids))
                    )
                ).all()
            )
            if ids
            else {}
        )
        return [
            RankedArtisan(
                row.artisan_id,
                names.get(row.artisan_id) or f"Artesano {str(row.artisan_id)[:8]}",
                int(row.orders),
                int(row.revenue),
            )
            for row in ranked
        ]

    # -- housekeeping ------------------------------------------------------------------------------------

    async def prune(self, buckets_before: datetime, orders_before: datetime) -> int:
        """Forget buckets and sessions older than any window, and orders older than any late event."""
        deleted = 0
        for table in (minutes, product_minutes, artisan_minutes, sessions):
            result: Any = await self._session.execute(delete(table).where(table.c.minute < buckets_before))
            deleted += max(result.rowcount or 0, 0)
        old_orders = select(orders.c.order_id).where(orders.c.first_seen_at < orders_before)
        result = await self._session.execute(
            delete(order_lines).where(order_lines.c.order_id.in_(old_orders))
        )
        deleted += max(result.rowcount or 0, 0)
        result = await self._session.execute(delete(orders).where(orders.c.first_seen_at < orders_before))
        deleted += max(result.rowcount or 0, 0)
        result = await self._session.execute(delete(seen).where(seen.c.happened_at < orders_before))
        deleted += max(result.rowcount or 0, 0)
        return deleted
