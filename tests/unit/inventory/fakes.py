"""In-memory implementations of the inventory ports, built on the domain's own rules.

One `FakeStores` is the whole "database" of a test. It does not roll back (nor does `FakeUnitOfWork`'s
session-less design need it): handlers only raise on broken invariants, which the tests treat as failures.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import date, datetime
from uuid import UUID

from services.inventory.application.ports import (
    Availability,
    AvailabilityCache,
    AvailabilityRepository,
    ReplenishmentRepository,
    ReservationRepository,
    StockRepository,
    Stores,
)
from services.inventory.domain.replenishment import PurchaseOrder, PurchaseStatus, Workshop
from services.inventory.domain.reservations import Reservation, ReservationStatus
from services.inventory.domain.stock import InsufficientStockError, Line, Stock, ThresholdKind
from services.platform.unit_of_work import UnitOfWork


class FakeStock(StockRepository):
    def __init__(self) -> None:
        self.records: dict[UUID, Stock] = {}

    async def get(self, product_ids: Collection[UUID]) -> dict[UUID, Stock]:
        return {p: self.records[p] for p in product_ids if p in self.records}

    async def add(self, stock: Stock) -> bool:
        if stock.product_id in self.records:
            return False
        self.records[stock.product_id] = stock
        return True

    async def hold(self, lines: Sequence[Line]) -> list[Stock] | None:
        try:
            changed = [self.records[line.product_id].hold(line.quantity) for line in sorted(lines)]
        except (KeyError, InsufficientStockError):
            return None
        for stock in changed:
            self.records[stock.product_id] = stock
        return changed

    async def free(self, lines: Sequence[Line]) -> list[Stock]:
        return [self._put(self.records[line.product_id].free(line.quantity)) for line in sorted(lines)]

    async def take(self, lines: Sequence[Line]) -> list[Stock]:
        return [self._put(self.records[line.product_id].take(line.quantity)) for line in sorted(lines)]

    async def receive(self, line: Line, *, restocked_at: datetime | None = None) -> Stock | None:
        stock = self.records.get(line.product_id)
        if stock is None:
            return None
        return self._put(stock.receive(line.quantity, restocked_at=restocked_at))

    async def record_alert(self, product_id: UUID, alert: ThresholdKind | None) -> None:
        self.records[product_id] = replace(self.records[product_id], alert=alert)

    async def page(self, *, after: UUID | None, limit: int) -> list[Stock]:
        ordered = sorted(self.records.values(), key=lambda s: s.product_id)
        return [s for s in ordered if after is None or s.product_id > after][:limit]

    def _put(self, stock: Stock) -> Stock:
        self.records[stock.product_id] = stock
        return stock


class FakeReservations(ReservationRepository):
    def __init__(self) -> None:
        self.records: dict[UUID, Reservation] = {}
        self.order_lines: dict[tuple[UUID, UUID], int] = {}

    async def get(self, reservation_id: UUID) -> Reservation | None:
        return self.records.get(reservation_id)

    async def add(self, reservation: Reservation) -> None:
        if reservation.reservation_id in self.records:
            raise AssertionError(f"reservation {reservation.reservation_id} exists (a primary key conflict)")
        self.records[reservation.reservation_id] = reservation

    async def transition(self, before: Reservation, after: Reservation) -> bool:
        stored = self.records.get(before.reservation_id)
        if stored is None or stored.status is not before.status:
            return False
        self.records[before.reservation_id] = after
        return True

    async def of_order(self, order_id: UUID) -> list[Reservation]:
        return sorted(
            (r for r in self.records.values() if r.order_id == order_id), key=lambda r: r.reservation_id
        )

    async def due(self, now: datetime, limit: int) -> list[Reservation]:
        due = [r for r in self.records.values() if r.is_due(now)]
        return sorted(due, key=lambda r: r.expires_at)[:limit]

    async def committed(self, order_id: UUID) -> dict[UUID, int]:
        return {p: q for (o, p), q in self.order_lines.items() if o == order_id}

    async def set_committed(self, order_id: UUID, product_id: UUID, quantity: int) -> None:
        assert quantity >= 0
        self.order_lines[order_id, product_id] = quantity

    def held(self) -> list[Reservation]:
        return [r for r in self.records.values() if r.status is ReservationStatus.HELD]


class FakeReplenishment(ReplenishmentRepository):
    def __init__(self) -> None:
        self.shops: dict[UUID, Workshop] = {}
        self.demand: dict[tuple[UUID, UUID], tuple[date, int]] = {}
        self.orders: dict[UUID, PurchaseOrder] = {}

    async def save_workshop(self, workshop: Workshop) -> None:
        known = self.shops.get(workshop.artisan_id)
        if known is None or known.completed_at <= workshop.completed_at:
            self.shops[workshop.artisan_id] = workshop

    async def workshop(self, artisan_id: UUID) -> Workshop | None:
        return self.shops.get(artisan_id)

    async def workshops(self, artisan_ids: Collection[UUID]) -> dict[UUID, Workshop]:
        return {a: self.shops[a] for a in artisan_ids if a in self.shops}

    async def record_demand(self, order_id: UUID, product_id: UUID, day: date, units: int) -> None:
        self.demand.setdefault((order_id, product_id), (day, units))

    async def units_ordered(self, product_id: UUID, *, since: date) -> int:
        return sum(u for (_, p), (d, u) in self.demand.items() if p == product_id and d >= since)

    async def purchase_order(self, purchase_order_id: UUID) -> PurchaseOrder | None:
        return self.orders.get(purchase_order_id)

    async def add_purchase_order(self, order: PurchaseOrder) -> None:
        assert order.purchase_order_id not in self.orders
        self.orders[order.purchase_order_id] = order

    def _open(self) -> list[PurchaseOrder]:
        return [o for o in self.orders.values() if o.status is PurchaseStatus.SCHEDULED]

    async def open_units(self, artisan_id: UUID) -> int:
        return sum(o.quantity for o in self._open() if o.artisan_id == artisan_id)

    async def has_open_order(self, product_id: UUID) -> bool:
        return any(o.product_id == product_id for o in self._open())

    async def due_restocks(self, now: datetime, limit: int) -> list[PurchaseOrder]:
        due = [o for o in self._open() if o.scheduled_for is not None and o.scheduled_for <= now]
        return sorted(due, key=lambda o: o.scheduled_for or now)[:limit]

    async def close_purchase_order(self, before: PurchaseOrder, after: PurchaseOrder) -> bool:
        stored = self.orders.get(before.purchase_order_id)
        if stored is None or stored.status is not before.status:
            return False
        self.orders[before.purchase_order_id] = after
        return True


class FakeAvailability(AvailabilityRepository):
    def __init__(self) -> None:
        self.rows: dict[UUID, Availability] = {}

    async def apply(self, levels: Sequence[Availability]) -> list[Availability]:
        kept = []
        for level in levels:
            held = self.rows.get(level.product_id)
            if held is None or held.version < level.version:
                self.rows[level.product_id] = level
                kept.append(level)
        return kept

    async def get(self, product_id: UUID) -> Availability | None:
        return self.rows.get(product_id)


class FakeCache(AvailabilityCache):
    def __init__(self) -> None:
        self.entries: dict[UUID, Availability] = {}
        self.gets = 0

    async def get(self, product_id: UUID) -> Availability | None:
        self.gets += 1
        return self.entries.get(product_id)

    async def put(self, availability: Availability) -> None:
        held = self.entries.get(availability.product_id)
        if held is None or held.version < availability.version:
            self.entries[availability.product_id] = availability


class FakeStores:
    """Every fake repository, and the factory handlers get (the same stores for every unit of work)."""

    def __init__(self) -> None:
        self.stock = FakeStock()
        self.reservations = FakeReservations()
        self.replenishment = FakeReplenishment()
        self.availability = FakeAvailability()

    def __call__(self, uow: UnitOfWork) -> Stores:
        del uow  # one in-memory "database" for every unit
        return Stores(self.stock, self.reservations, self.replenishment, self.availability)
