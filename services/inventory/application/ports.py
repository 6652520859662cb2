"""What the handlers need from the outside world, as abstract classes.

The SQL implementations are in `services/inventory/adapters/sql.py`; the in-memory fakes the unit tests
use are in `tests/unit/inventory/fakes.py`, and one suite of tests runs against both, so the fakes keep
behaving like the real thing. Repositories work inside the handler's unit of work: they never commit.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from services.inventory.domain.replenishment import PurchaseOrder, Workshop
from services.inventory.domain.reservations import Reservation
from services.inventory.domain.stock import Line, Stock, ThresholdKind
from services.platform.unit_of_work import UnitOfWork

__all__ = [
    "Availability",
    "AvailabilityCache",
    "AvailabilityRepository",
    "ReplenishmentRepository",
    "ReservationRepository",
    "StockRepository",
    "Stores",
    "StoresFactory",
]


class StockRepository(abc.ABC):
    """Stock records. Every change is one conditional row update, atomic on SQLite and PostgreSQL, that
    returns the record after the change (with its new version)."""

    @abc.abstractmethod
    async def get(self, product_ids: Collection[UUID]) -> dict[UUID, Stock]:
        """The records of the products that are known."""

    @abc.abstractmethod
    async def add(self, stock: Stock) -> bool:
        """Store a new product's record; False (and nothing changes) when the product is known already."""

    @abc.abstractmethod
    async def hold(self, lines: Sequence[Line]) -> list[Stock] | None:
        """Hold every line, or none: None when one of them is not available (anymore)."""

    @abc.abstractmethod
    async def free(self, lines: Sequence[Line]) -> list[Stock]:
        """Give held units back to available stock."""

    @abc.abstractmethod
    async def take(self, lines: Sequence[Line]) -> list[Stock]:
        """Held units leave the shelf: on hand and reserved both go down."""

    @abc.abstractmethod
    async def receive(self, line: Line, *, restocked_at: datetime | None = None) -> Stock | None:
        """Units come (back) on hand; `restocked_at` marks a restock. None for an unknown product."""

    @abc.abstractmethod
    async def record_alert(self, product_id: UUID, alert: ThresholdKind | None) -> None:
        """The threshold band last announced (or climbed back to)."""

    @abc.abstractmethod
    async def page(self, *, after: UUID | None, limit: int) -> list[Stock]:
        """Records in product id order, after `after`: for the stock report."""


class ReservationRepository(abc.ABC):
    @abc.abstractmethod
    async def get(self, reservation_id: UUID) -> Reservation | None: ...

    @abc.abstractmethod
    async def add(self, reservation: Reservation) -> None: ...

    @abc.abstractmethod
    async def transition(self, before: Reservation, after: Reservation) -> bool:
        """Store `after` if the stored status is still `before`'s; False when something else changed it
        first (another replica's timer, a concurrent request): the caller must not act on it then."""

    @abc.abstractmethod
    async def of_order(self, order_id: UUID) -> list[Reservation]: ...

    @abc.abstractmethod
    async def due(self, now: datetime, limit: int) -> list[Reservation]:
        """Held reservations whose expiry time has passed, the oldest first."""

    @abc.abstractmethod
    async def committed(self, order_id: UUID) -> dict[UUID, int]:
        """Units per product an order has committed and not given back."""

    @abc.abstractmethod
    async def set_committed(self, order_id: UUID, product_id: UUID, quantity: int) -> None: ...


class ReplenishmentRepository(abc.ABC):
    """Workshops, demand and the replenishment saga's purchase orders."""

    @abc.abstractmethod
    async def save_workshop(self, workshop: Workshop) -> None:
        """Keep the latest onboarding of each artisan (a late older one changes nothing)."""

    @abc.abstractmethod
    async def workshop(self, artisan_id: UUID) -> Workshop | None: ...

    @abc.abstractmethod
    async def workshops(self, artisan_ids: Collection[UUID]) -> dict[UUID, Workshop]: ...

    @abc.abstractmethod
    async def record_demand(self, order_id: UUID, product_id: UUID, day: date, units: int) -> None:
        """Units of a product ordered on a day, once per order: an order seen again adds nothing."""

    @abc.abstractmethod
    async def units_ordered(self, product_id: UUID, *, since: date) -> int: ...

    @abc.abstractmethod
    async def purchase_order(self, purchase_order_id: UUID) -> PurchaseOrder | None: ...

    @abc.abstractmethod
    async def add_purchase_order(self, order: PurchaseOrder) -> None: ...

    @abc.abstractmethod
    async def open_units(self, artisan_id: UUID) -> int:
        """Units of the artisan's purchase orders not received yet."""

    @abc.abstractmethod
    async def has_open_order(self, product_id: UUID) -> bool: ...

    @abc.abstractmethod
    async def due_restocks(self, now: datetime, limit: int) -> list[PurchaseOrder]: ...

    @abc.abstractmethod
    async def close_purchase_order(self, before: PurchaseOrder, after: PurchaseOrder) -> bool:
        """Store `after` if the stored status is still `before`'s (see `ReservationRepository.transition`)."""


@dataclass(frozen=True, slots=True)
class Availability:
    """A product's line in the availability read model."""

    product_id: UUID
    on_hand: int
    reserved: int
    version: int
    updated_at: datetime

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class AvailabilityRepository(abc.ABC):
    """The availability read model, fed by the INVENTORY stream."""

    @abc.abstractmethod
    async def apply(self, levels: Sequence[Availability]) -> list[Availability]:
        """Keep each level whose version is newer than the one held; return those kept."""

    @abc.abstractmethod
    async def get(self, product_id: UUID) -> Availability | None: ...


class AvailabilityCache(abc.ABC):
    """A cache in front of the read model. A failing cache is a miss, never an error."""

    @abc.abstractmethod
    async def get(self, product_id: UUID) -> Availability | None: ...

    @abc.abstractmethod
    async def put(self, availability: Availability) -> None:
        """Cache `availability` unless the cache holds a newer version already."""


@dataclass(frozen=True, slots=True)
class Stores:
    """The repositories of one unit of work."""

    stock: StockRepository
    reservations: ReservationRepository
    replenishment: ReplenishmentRepository
    availability: AvailabilityRepository


StoresFactory = Callable[[UnitOfWork], Stores]
