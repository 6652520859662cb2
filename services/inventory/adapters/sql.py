"""The repositories on the service's SQL database (SQLite or PostgreSQL), inside the caller's transaction.

Stock changes are single conditional UPDATEs (`... SET reserved = reserved + q WHERE on_hand - reserved
>= q`), so they are right under concurrency on both databases: on PostgreSQL a second writer waits for the
row and re-checks the condition against the committed value; SQLite has one writer at a time. A
reservation's lines are held inside a savepoint, in product id order, so a line that fails undoes the
others (all or nothing) and two reservations never lock the same rows in opposite orders.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from services.inventory.adapters.tables import (
    artisans,
    availability,
    demand,
    order_lines,
    purchase_orders,
    reservation_lines,
    reservations,
    stock,
)
from services.inventory.application.ports import (
    Availability,
    AvailabilityRepository,
    ReplenishmentRepository,
    ReservationRepository,
    StockRepository,
    Stores,
)
from services.inventory.domain.replenishment import PurchaseOrder, PurchaseStatus, Workshop
from services.inventory.domain.reservations import HeldLine, Reservation, ReservationStatus
from services.inventory.domain.stock import (
    Line,
    Shortage,
    ShortageReason,
    Stock,
    StockInvariantError,
    ThresholdKind,
    Unavailable,
)
from services.platform.database import dialect_insert
from services.platform.unit_of_work import UnitOfWork

__all__ = [
    "SqlAvailability",
    "SqlReplenishment",
    "SqlReservations",
    "SqlStock",
    "read_availability",
    "sql_stores",
]


def sql_stores(uow: UnitOfWork) -> Stores:
    """The repositories of a `SqlUnitOfWork`, on its session."""
    session = uow.session
    return Stores(
        stock=SqlStock(session),
        reservations=SqlReservations(session),
        replenishment=SqlReplenishment(session),
        availability=SqlAvailability(session),
    )


# -- stock ----------------------------------------------------------------------------------------------


def _stock(row: Row[Any]) -> Stock:
    return Stock(
        product_id=row.product_id,
        artisan_id=row.artisan_id,
        name=row.name,
        threshold=row.threshold,
        on_hand=row.on_hand,
        reserved=row.reserved,
        version=row.version,
        alert=ThresholdKind(row.alert) if row.alert else None,
        listed_at=row.listed_at,
        last_restock_at=row.last_restock_at,
    )


class _NotAvailableError(Exception):
    """Rolls the savepoint of a reservation back."""


class SqlStock(StockRepository):
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, product_ids: Collection[UUID]) -> dict[UUID, Stock]:
        if not product_ids:
            return {}
        rows = await self._session.execute(select(stock).where(stock.c.product_id.in_(list(product_ids))))
        return {row.product_id: _stock(row) for row in rows}

    async def add(self, record: Stock) -> bool:
        statement = (
            dialect_insert(self._session, stock)
            .values(
                product_id=record.product_id,
                artisan_id=record.artisan_id,
                name=record.name,
                threshold=record.threshold,
                on_hand=record.on_hand,
                reserved=record.reserved,
                version=record.version,
                alert=record.alert.value if record.alert else None,
                listed_at=record.listed_at,
                last_restock_at=record.last_restock_at,
            )
            .on_conflict_do_nothing(index_elements=[stock.c.product_id])
            .returning(stock.c.product_id)
        )
        return (await self._session.execute(statement)).first() is not None

    async def _change(
        self, product_id: UUID, condition: ColumnElement[bool] | None, values: Mapping[str, Any]
    ) -> Stock | None:
        where = stock.c.product_id == product_id
        statement = (
            stock.update()
            .where(where if condition is None else and_(where, condition))
            .values(version=stock.c.version + 1, **values)
            .returning(*stock.c)
        )
        row = (await self._session.execute(statement)).first()
        return _stock(row) if row is not None else None

    async def hold(self, lines: Sequence[Line]) -> list[Stock] | None:
        try:
            async with self._session.begin_nested():  # a line that fails undoes the lines before it
                return [await self._hold(line) for line in sorted(lines)]
        except _NotAvailableError:
            return None

    async def _hold(self, line: Line) -> Stock:
        changed = await self._change(
            line.product_id,
            stock.c.on_hand - stock.c.reserved >= line.quantity,
            {"reserved": stock.c.reserved + line.quantity},
        )
        if changed is None:
            raise _NotAvailableError
        return changed

    async def free(self, lines: Sequence[Line]) -> list[Stock]:
        return [
            await self._must(
                line, stock.c.reserved >= line.quantity, {"reserved": stock.c.reserved - line.quantity}
            )
            for line in sorted(lines)
        ]

    async def take(self, lines: Sequence[Line]) -> list[Stock]:
        return [
            await self._must(
                line,
                stock.c.reserved >= line.quantity,
                {"reserved": stock.c.reserved - line.quantity, "on_hand": stock.c.on_hand - line.quantity},
            )
            for line in sorted(lines)
        ]

    async def _must(self, line: Line, condition: ColumnElement[bool], values: Mapping[str, Any]) -> Stock:
        changed = await self._change(line.product_id, condition, values)
        if changed is None:
            raise StockInvariantError(f"product {line.product_id}: {line.quantity} units are not held")
        return changed

    async def receive(self, line: Line, *, restocked_at: datetime | None = None) -> Stock | None:
        if line.quantity <= 0:
            raise StockInvariantError(f"product {line.product_id}: receive {line.quantity} units")
        values: dict[str, Any] = {"on_hand": stock.c.on_hand + line.quantity}
        if restocked_at is not None:
            values["last_restock_at"] = restocked_at
        return await self._change(line.product_id, None, values)

    async def record_alert(self, product_id: UUID, alert: ThresholdKind | None) -> None:
        await self._session.execute(
            stock.update()
            .where(stock.c.product_id == product_id)
            .values(alert=alert.value if alert else None)
        )

    async def page(self, *, after: UUID | None, limit: int) -> list[Stock]:
        query = select(stock).order_by(stock.c.product_id).limit(limit)
        if after is not None:
            query = query.where(stock.c.product_id > after)
        return [_stock(row) for row in await self._session.execute(query)]


# -- reservations ---------------------------------------------------------------------------------------


def _shortage_json(shortage: Shortage | None) -> dict[str, Any] | None:
    if shortage is None:
        return None
    return {
        "reason": shortage.reason.value,
        "items": [
            {"productId": str(i.product_id), "requested": i.requested, "available": i.available}
            for i in shortage.items
        ],
    }


def _shortage(document: dict[str, Any] | None) -> Shortage | None:
    if document is None:
        return None
    return Shortage(
        ShortageReason(document["reason"]),
        tuple(Unavailable(UUID(i["productId"]), i["requested"], i["available"]) for i in document["items"]),
    )


def _reservation(row: Row[Any], lines: Sequence[HeldLine]) -> Reservation:
    return Reservation(
        reservation_id=row.reservation_id,
        order_id=row.order_id,
        status=ReservationStatus(row.status),
        priority=row.priority,
        lines=tuple(sorted(lines, key=lambda line: line.product_id)),
        expires_at=row.expires_at,
        requested_at=row.requested_at,
        confirmed_at=row.confirmed_at,
        closed_at=row.closed_at,
        reason=row.reason,
        shortage=_shortage(row.shortage),
        correlation_id=row.correlation_id,
        causation_id=row.causation_id,
    )


class SqlReservations(ReservationRepository):
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _with_lines(self, rows: Sequence[Row[Any]]) -> list[Reservation]:
        if not rows:
            return []
        ids = [row.reservation_id for row in rows]
        lines: dict[UUID, list[HeldLine]] = {i: [] for i in ids}
        for line in await self._session.execute(
            select(reservation_lines).where(reservation_lines.c.reservation_id.in_(ids))
        ):
            lines[line.reservation_id].append(
                HeldLine(line.product_id, line.quantity, line.warehouse_id, line.location)
            )
        return [_reservation(row, lines[row.reservation_id]) for row in rows]

    async def get(self, reservation_id: UUID) -> Reservation | None:
        rows = (
            await self._session.execute(
                select(reservations).where(reservations.c.reservation_id == reservation_id)
            )
        ).all()
        found = await self._with_lines(rows)
        return found[0] if found else None

    async def add(self, reservation: Reservation) -> None:
        await self._session.execute(
            reservations.insert().values(
                reservation_id=reservation.reservation_id,
                order_id=reservation.order_id,
                status=reservation.status.value,
                priority=reservation.priority,
                expires_at=reservation.expires_at,
                requested_at=reservation.requested_at,
                confirmed_at=reservation.confirmed_at,
                closed_at=reservation.closed_at,
                reason=reservation.reason,
                shortage=_shortage_json(reservation.shortage),
                correlation_id=reservation.correlation_id,
                causation_id=reservation.causation_id,
            )
        )
        if reservation.lines:
            await self._session.execute(
                reservation_lines.insert(),
                [
                    {
                        "reservation_id": reservation.reservation_id,
                        "product_id": line.product_id,
                        "quantity": line.quantity,
                        "warehouse_id": line.warehouse_id,
                        "location": line.location,
                    }
                    for line in reservation.lines
                ],
            )

    async def transition(self, before: Reservation, after: Reservation) -> bool:
        statement = (
            reservations.update()
            .where(
                reservations.c.reservation_id == before.reservation_id,
                reservations.c.status == before.status.value,
            )
            .values(status=after.status.value, closed_at=after.closed_at, reason=after.reason)
            .returning(reservations.c.reservation_id)
        )
        return (await self._session.execute(statement)).first() is not None

    async def of_order(self, order_id: UUID) -> list[Reservation]:
        rows = (
            await self._session.execute(
                select(reservations)
                .where(reservations.c.order_id == order_id)
                .order_by(reservations.c.reservation_id)
            )
        ).all()
        return await self._with_lines(rows)

    async def due(self, now: datetime, limit: int) -> list[Reservation]:
        rows = (
            await self._session.execute(
                select(reservations)
                .where(
                    reservations.c.status == ReservationStatus.HELD.value,
                    reservations.c.expires_at <= now,
                )
                .order_by(reservations.c.expires_at)
                .limit(limit)
                # Locked up front, and those a commit holds right now skipped: expiring them one by one
                # while holding their stock rows deadlocked with commits taking reservation then stock
                # (PostgreSQL; SQLite has one writer and no FOR UPDATE). A skipped one is either committed
                # or due again at the next round.
                .with_for_update(skip_locked=True)
            )
        ).all()
        return await self._with_lines(rows)

    async def committed(self, order_id: UUID) -> dict[UUID, int]:
        rows = await self._session.execute(
            select(order_lines.c.product_id, order_lines.c.committed).where(
                order_lines.c.order_id == order_id
            )
        )
        return {row.product_id: row.committed for row in rows}

    async def set_committed(self, order_id: UUID, product_id: UUID, quantity: int) -> None:
        statement = dialect_insert(self._session, order_lines).values(
            order_id=order_id, product_id=product_id, committed=quantity
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[order_lines.c.order_id, order_lines.c.product_id],
                set_={"committed": statement.excluded.committed},
            )
        )


# -- replenishment --------------------------------------------------------------------------------------


def _workshop(row: Row[Any]) -> Workshop:
    return Workshop(row.artisan_id, row.town, row.monthly_capacity, row.completed_at)


def _purchase(row: Row[Any]) -> PurchaseOrder:
    return PurchaseOrder(
        purchase_order_id=row.purchase_order_id,
        product_id=row.product_id,
        artisan_id=row.artisan_id,
        threshold_kind=row.threshold_kind,
        recommended=row.recommended,
        quantity=row.quantity,
        status=PurchaseStatus(row.status),
        created_at=row.created_at,
        scheduled_for=row.scheduled_for,
        restock_id=row.restock_id,
        reason=row.reason,
        closed_at=row.closed_at,
        correlation_id=row.correlation_id,
    )


_OPEN = PurchaseStatus.SCHEDULED.value


class SqlReplenishment(ReplenishmentRepository):
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def save_workshop(self, workshop: Workshop) -> None:
        statement = dialect_insert(self._session, artisans).values(
            artisan_id=workshop.artisan_id,
            town=workshop.town,
            monthly_capacity=workshop.monthly_capacity,
            completed_at=workshop.completed_at,
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[artisans.c.artisan_id],
                set_={
                    "town": statement.excluded.town,
                    "monthly_capacity": statement.excluded.monthly_capacity,
                    "completed_at": statement.excluded.completed_at,
                },
                where=artisans.c.completed_at <= statement.excluded.completed_at,
            )
        )

    async def workshop(self, artisan_id: UUID) -> Workshop | None:
        return (await self.workshops([artisan_id])).get(artisan_id)

    async def workshops(self, artisan_ids: Collection[UUID]) -> dict[UUID, Workshop]:
        if not artisan_ids:
            return {}
        rows = await self._session.execute(
            select(artisans).where(artisans.c.artisan_id.in_(list(artisan_ids)))
        )
        return {row.artisan_id: _workshop(row) for row in rows}

    async def record_demand(self, order_id: UUID, product_id: UUID, day: date, units: int) -> None:
        await self._session.execute(
            dialect_insert(self._session, demand)
            .values(order_id=order_id, product_id=product_id, day=day, units=units)
            .on_conflict_do_nothing(index_elements=[demand.c.order_id, demand.c.product_id])
        )

    async def units_ordered(self, product_id: UUID, *, since: date) -> int:
        total = await self._session.scalar(
            select(func.coalesce(func.sum(demand.c.units), 0)).where(
                demand.c.product_id == product_id, demand.c.day >= since
            )
        )
        return int(total or 0)

    async def purchase_order(self, purchase_order_id: UUID) -> PurchaseOrder | None:
        row = (
            await self._session.execute(
                select(purchase_orders).where(purchase_orders.c.purchase_order_id == purchase_order_id)
            )
        ).first()
        return _purchase(row) if row is not None else None

    async def add_purchase_order(self, order: PurchaseOrder) -> None:
        await self._session.execute(
            purchase_orders.insert().values(
                purchase_order_id=order.purchase_order_id,
                product_id=order.product_id,
                artisan_id=order.artisan_id,
                threshold_kind=order.threshold_kind,
                recommended=order.recommended,
                quantity=order.quantity,
                status=order.status.value,
                created_at=order.created_at,
                scheduled_for=order.scheduled_for,
                restock_id=order.restock_id,
                reason=order.reason,
                closed_at=order.closed_at,
                correlation_id=order.correlation_id,
            )
        )

    async def open_units(self, artisan_id: UUID) -> int:
        total = await self._session.scalar(
            select(func.coalesce(func.sum(purchase_orders.c.quantity), 0)).where(
                purchase_orders.c.artisan_id == artisan_id, purchase_orders.c.status == _OPEN
            )
        )
        return int(total or 0)

    async def has_open_order(self, product_id: UUID) -> bool:
        found = await self._session.scalar(
            select(purchase_orders.c.purchase_order_id)
            .where(purchase_orders.c.product_id == product_id, purchase_orders.c.status == _OPEN)
            .limit(1)
        )
        return found is not None

    async def due_restocks(self, now: datetime, limit: int) -> list[PurchaseOrder]:
        rows = await self._session.execute(
            select(purchase_orders)
            .where(purchase_orders.c.status == _OPEN, purchase_orders.c.scheduled_for <= now)
            .order_by(purchase_orders.c.scheduled_for)
            .limit(limit)
        )
        return [_purchase(row) for row in rows]

    async def close_purchase_order(self, before: PurchaseOrder, after: PurchaseOrder) -> bool:
        statement = (
            purchase_orders.update()
            .where(
                purchase_orders.c.purchase_order_id == before.purchase_order_id,
                purchase_orders.c.status == before.status.value,
            )
            .values(status=after.status.value, closed_at=after.closed_at, reason=after.reason)
            .returning(purchase_orders.c.purchase_order_id)
        )
        return (await self._session.execute(statement)).first() is not None


# -- the availability read model ------------------------------------------------------------------------


def _availability(row: Row[Any]) -> Availability:
    return Availability(row.product_id, row.on_hand, row.reserved, row.version, row.updated_at)


class SqlAvailability(AvailabilityRepository):
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def apply(self, levels: Sequence[Availability]) -> list[Availability]:
        newest: dict[UUID, Availability] = {}
        for level in levels:  # one row per product: an upsert may not touch a row twice
            if level.product_id not in newest or newest[level.product_id].version < level.version:
                newest[level.product_id] = level
        if not newest:
            return []
        insert = dialect_insert(self._session, availability)
        statement = insert.on_conflict_do_update(
            index_elements=[availability.c.product_id],
            set_={
                "on_hand": insert.excluded.on_hand,
                "reserved": insert.excluded.reserved,
                "version": insert.excluded.version,
                "updated_at": insert.excluded.updated_at,
            },
            where=availability.c.version < insert.excluded.version,
        ).returning(availability.c.product_id)
        kept: list[Availability] = []
        for level in sorted(newest.values(), key=lambda a: a.product_id):
            row = (
                await self._session.execute(
                    statement,
                    {
                        "product_id": level.product_id,
                        "on_hand": level.on_hand,
                        "reserved": level.reserved,
                        "version": level.version,
                        "updated_at": level.updated_at,
                    },
                )
            ).first()
            if row is not None:
                kept.append(level)
        return kept

    async def get(self, product_id: UUID) -> Availability | None:
        row = (
            await self._session.execute(select(availability).where(availability.c.product_id == product_id))
        ).first()
        return _availability(row) if row is not None else None


async def read_availability(session: AsyncSession, product_id: UUID) -> Availability | None:
    """The read model's row, for the HTTP query (in a read-only transaction of its own)."""
    return await SqlAvailability(session).get(product_id)
