"""Composition root of the inventory service.

- Consumers, one per durable consumer of the contract, each batch in one transaction with the inbox. The
  availability projection's consumer comes from the platform's `ProjectionHost`, so `a4co projections
  rebuild inventory-availability` can pause and replay it; the reservation consumer serves each batch by
  priority (vip, high, normal).
- Three timers over the database: reservation expiry and due restocks every 0.5 s, and the stock report
  at start-up and then every A4CO_STOCK_REPORT_INTERVAL seconds (default 86400).
- The HTTP availability query, answered from the Redis cache or the read model.

Settings from the environment: A4CO_RESTOCK_DELAY (seconds from purchase order to restock, default 60),
A4CO_STOCK_REPORT_INTERVAL and A4CO_AVAILABILITY_CACHE_TTL (seconds, default 60).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from a4co_sdk import Received
from a4co_sdk._runtime.consuming import BatchConsumer
from a4co_sdk._runtime.http_server import HttpProblem
from a4co_sdk.models import artisan, inventory, order, product
from a4co_sdk.publishers.inventory import InventoryPublishers
from a4co_sdk.servers.inventory import InventoryApi, app
from a4co_sdk.subscribers.inventory import InventoryHandlers, routes
from services.inventory.adapters.background import by_priority, every
from services.inventory.adapters.cache import RedisAvailabilityCache
from services.inventory.adapters.metrics import ReservationMetrics
from services.inventory.adapters.sql import read_availability, sql_stores
from services.inventory.application import handlers
from services.inventory.application.ports import Availability, AvailabilityCache, Stores, StoresFactory
from services.inventory.application.queries import AvailabilityQuery
from services.inventory.projections import PROJECTIONS
from services.platform.batching import transactional_batch
from services.platform.kit import Kit
from services.platform.probes import Probes
from services.platform.projections import Projection, ProjectionHost
from services.platform.runner import Runtime, Service
from services.platform.unit_of_work import UnitOfWork, current_unit_of_work

__all__ = ["Api", "Handlers", "Options", "build"]

RESERVATIONS_CONSUMER = "inventory-on-inventory-reservation-requested"

TIMER_INTERVAL = 0.5


@dataclass(frozen=True, slots=True)
class Options:
    restock_delay: timedelta = timedelta(seconds=60)
    report_interval: float = 86_400.0
    cache_ttl: int = 60

    @classmethod
    def from_env(cls) -> Options:
        return cls(
            restock_delay=timedelta(seconds=_seconds("A4CO_RESTOCK_DELAY", 60)),
            report_interval=max(1.0, _seconds("A4CO_STOCK_REPORT_INTERVAL", 86_400)),  # 0 would spin
            cache_ttl=max(1, round(_seconds("A4CO_AVAILABILITY_CACHE_TTL", 60))),
        )


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, not {raw!r}") from None
    if value < 0:
        raise ValueError(f"{name} must not be negative, not {raw!r}")
    return value


class Api(Probes, InventoryApi):
    def __init__(self, kit: Kit, query: AvailabilityQuery, reservation_metrics: ReservationMetrics) -> None:
        self.service_name = kit.name
        self.metrics = kit.runtime.metrics
        self.readiness_checks = kit.readiness
        self._query = query
        self._reservation_metrics = reservation_metrics

    async def get_product_availability(
        self, *, product_id: UUID, x_request_id: str | None
    ) -> inventory.ProductAvailability:
        found = await self._query(product_id)
        if found is None:
            raise HttpProblem(404, "Unknown product", f"inventory holds no stock for product {product_id}")
        return inventory.ProductAvailability(
            product_id=found.product_id,
            on_hand=found.on_hand,
            reserved=found.reserved,
            available=found.available,
            version=found.version,
            in_stock=found.available > 0,
            updated_at=found.updated_at,
        )

    async def get_metrics(self) -> str:
        await self._reservation_metrics.refresh()
        return await super().get_metrics()


def _occurred_at(received: Received[Any]) -> datetime:
    """When the event happened, from its envelope (a confirmation carries no time in its payload)."""
    occurred = getattr(received.headers, "occurred_at", None)
    return occurred if isinstance(occurred, datetime) else datetime.now(UTC)


class Handlers(InventoryHandlers):
    def __init__(
        self,
        publishers: InventoryPublishers,
        stores: StoresFactory,
        cache: AvailabilityCache,
        options: Options,
    ) -> None:
        self.publishers = publishers
        self.stores = stores
        self.cache = cache
        self.options = options

    # Catalogue, artisans and orders.

    async def on_product_listed(self, message: product.ProductListed, received: Received[Any]) -> None:
        uow = current_unit_of_work()
        await handlers.list_product(message, uow, self.stores(uow), self.publishers, now=datetime.now(UTC))

    async def on_artisan_onboarding_completed(
        self, message: artisan.ArtisanOnboardingCompleted, received: Received[Any]
    ) -> None:
        await handlers.record_workshop(message, self.stores(current_unit_of_work()))

    async def on_order_created(self, message: order.OrderCreated, received: Received[Any]) -> None:
        await handlers.record_demand(message, self.stores(current_unit_of_work()))

    async def on_order_state_changed(self, message: order.OrderStateChanged, received: Received[Any]) -> None:
        uow = current_unit_of_work()
        await handlers.cancel_order(message, uow, self.stores(uow), self.publishers, now=datetime.now(UTC))

    async def on_order_items_modified(
        self, message: order.OrderItemsModified, received: Received[Any]
    ) -> None:
        uow = current_unit_of_work()
        await handlers.modify_order(message, uow, self.stores(uow), self.publishers, now=datetime.now(UTC))

    # The order saga's requests.

    async def on_stock_reservation_requested(
        self, message: inventory.StockReservationRequested, received: Received[Any]
    ) -> None:
        uow = current_unit_of_work()
        await handlers.reserve_stock(message, uow, self.stores(uow), self.publishers, now=datetime.now(UTC))

    async def on_stock_reservation_release_requested(
        self, message: inventory.StockReservationReleaseRequested, received: Received[Any]
    ) -> None:
        uow = current_unit_of_work()
        await handlers.release_reservation(
            message, uow, self.stores(uow), self.publishers, now=datetime.now(UTC)
        )

    async def on_stock_reservation_commit_requested(
        self, message: inventory.StockReservationCommitRequested, received: Received[Any]
    ) -> None:
        uow = current_unit_of_work()
        await handlers.commit_reservation(
            message, uow, self.stores(uow), self.publishers, now=datetime.now(UTC)
        )

    # The replenishment saga, on this service's own threshold events.

    async def on_stock_threshold_reached(
        self, message: inventory.StockThresholdReached, received: Received[Any]
    ) -> None:
        uow = current_unit_of_work()
        message_id = received.envelope.message_id
        assert message_id is not None  # the batch dead-letters messages without an id before handlers run
        await handlers.replenish(
            message,
            uow,
            self.stores(uow),
            self.publishers,
            message_id=message_id,
            now=datetime.now(UTC),
            restock_delay=self.options.restock_delay,
        )

    # The availability projection (consumer inventory-availability-projection).

    async def _project(self, levels: list[inventory.StockLevel], updated_at: datetime) -> None:
        await handlers.project_levels(levels, updated_at, self.stores(current_unit_of_work()), self.cache)

    async def on_stock_reservation_confirmed(
        self, message: inventory.StockReservationConfirmed, received: Received[Any]
    ) -> None:
        await self._project(message.stock_levels, _occurred_at(received))

    async def on_stock_reservation_expired(
        self, message: inventory.StockReservationExpired, received: Received[Any]
    ) -> None:
        await self._project(message.stock_levels, message.expired_at)

    async def on_stock_reservation_released(
        self, message: inventory.StockReservationReleased, received: Received[Any]
    ) -> None:
        await self._project(message.stock_levels, message.released_at)

    async def on_stock_reservation_committed(
        self, message: inventory.StockReservationCommitted, received: Received[Any]
    ) -> None:
        await self._project(message.stock_levels, message.committed_at)

    async def on_stock_adjusted(self, message: inventory.StockAdjusted, received: Received[Any]) -> None:
        await self._project([message.stock_level], message.adjusted_at)

    async def on_stock_reported(self, message: inventory.StockReported, received: Received[Any]) -> None:
        await self._project(message.levels, message.reported_at)


def _consumers(kit: Kit, host: ProjectionHost, implementation: Handlers) -> list[BatchConsumer]:
    """The projection's consumers come from its host (so it can pause and replay them); the reservation
    consumer serves each batch by priority (vip, high, normal); the others are the kit's."""
    every_route = routes(implementation)
    projected = {c for projection in host.projections.values() for c in projection.consumers}
    built = host.consumers({name: r for name, r in every_route.items() if name in projected})
    for consumer in kit.consumers({name: r for name, r in every_route.items() if name not in projected}):
        if consumer.name == RESERVATIONS_CONSUMER:
            consumer = BatchConsumer(
                kit.runtime.js,
                consumer.dispatcher,
                dead_letters=kit.runtime.dead_letters,
                process=by_priority(transactional_batch(kit.unit_of_work, consumer.dispatcher)),
            )
        built.append(consumer)
    return built


async def build(runtime: Runtime) -> Service:
    options = Options.from_env()
    kit = await Kit.open(runtime)
    await kit.create_tables()
    db = kit.db
    assert db is not None
    publishers = InventoryPublishers(runtime.js, cipher=kit.cipher)
    cache = RedisAvailabilityCache(runtime.redis, ttl=options.cache_ttl)
    reservation_metrics = ReservationMetrics(db)
    runtime.metrics.registry.register(reservation_metrics)

    async def read(product_id: UUID) -> Availability | None:
        async with db.transaction(read_only=True) as session:
            return await read_availability(session, product_id)

    async def forget_cached(_: Projection) -> None:
        # A rebuild is how a wrong read model gets repaired: cached levels may be just as wrong.
        await cache.clear()

    host = ProjectionHost.from_kit(kit, PROJECTIONS, on_rebuilt=forget_cached)
    api = Api(kit, AvailabilityQuery(cache, read), reservation_metrics)
    consumers = _consumers(kit, host, Handlers(publishers, sql_stores, cache, options))
    return kit.service(
        kit.http(app, api),
        consumers,
        background={
            **host.background(),
            "reservation expiry": every(
                TIMER_INTERVAL, _round(kit, publishers, handlers.expire_due_reservations), batch=200
            ),
            "restocks": every(
                TIMER_INTERVAL, _round(kit, publishers, handlers.receive_due_restocks), batch=100
            ),
            # At start-up, then every interval (decision 004).
            "stock report": every(options.report_interval, _round(kit, publishers, handlers.report_stock)),
        },
    )


class _Round(Protocol):
    async def __call__(
        self, uow: UnitOfWork, stores: Stores, publishers: InventoryPublishers, *, now: datetime
    ) -> int: ...


def _round(kit: Kit, publishers: InventoryPublishers, work: _Round) -> Callable[[], Awaitable[int]]:
    """One timer round in a transaction of its own; what it publishes leaves through the outbox."""

    async def run() -> int:
        async with kit.unit_of_work() as uow:
            return await work(uow, sql_stores(uow), publishers, now=datetime.now(UTC))

    return run
