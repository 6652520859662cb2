"""A `World` for handler tests: the fakes with `FakeUnitOfWork`, or SQL with `SqlUnitOfWork`.

The same tests run on both, which keeps the fakes honest and exercises every SQL statement of the
repositories through the use cases. SQLite is a file in tmp_path (fast: no server); PostgreSQL joins when
A4CO_TEST_POSTGRES_URL is set (a fresh schema per test, dropped after it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import orjson
import pytest
from nats.js import JetStreamContext
from sqlalchemy import select

from a4co_sdk.models import artisan, inventory, order, product
from a4co_sdk.publishers.inventory import InventoryPublishers
from services.inventory.adapters import tables  # noqa: F401 - registers the inventory tables
from services.inventory.adapters.sql import sql_stores
from services.inventory.application import handlers
from services.inventory.application.ports import Stores
from services.inventory.domain.stock import Stock
from services.platform import inbox, outbox  # noqa: F401 - inbox: its table is created with the others
from services.platform.database import Database
from services.platform.unit_of_work import FakeUnitOfWork, SqlUnitOfWork, UnitOfWork
from tests.platform.sql.conftest import BACKENDS, open_database
from tests.unit.inventory.builders import T0
from tests.unit.inventory.fakes import FakeCache, FakeStores

# Publishers only prepare messages in these tests (the unit of work keeps them): no JetStream needed.
PUBLISHERS = InventoryPublishers(cast("JetStreamContext", None))


class World:
    """One service's state: run handlers in units of work, then read what they stored and sent."""

    def __init__(self, backend: str, db: Database | None) -> None:
        self.backend = backend
        self.db = db
        self.publishers = PUBLISHERS
        self.cache = FakeCache()
        self.fakes = FakeStores()
        self.fake_uow = FakeUnitOfWork()

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[tuple[UnitOfWork, Stores]]:
        if self.db is None:
            async with self.fake_uow as uow:
                yield uow, self.fakes(uow)
            return
        async with SqlUnitOfWork(self.db) as uow:
            yield uow, sql_stores(uow)

    async def messages(self) -> list[tuple[str, dict[str, Any]]]:
        """Everything sent so far, in order: (subject, body)."""
        if self.db is None:
            return [(m.subject, orjson.loads(m.body)) for m in self.fake_uow.published]
        async with self.db.transaction(read_only=True) as session:
            rows = await session.execute(
                select(outbox.outbox.c.subject, outbox.outbox.c.body).order_by(outbox.outbox.c.position)
            )
            return [(row.subject, orjson.loads(row.body)) for row in rows]

    async def sent(self, subject: str) -> list[dict[str, Any]]:
        return [body for s, body in await self.messages() if s == subject]

    async def last(self, subject: str) -> dict[str, Any]:
        bodies = await self.sent(subject)
        assert bodies, f"nothing was sent on {subject}"
        return bodies[-1]

    # The use cases, each in a unit of work of its own, as the service runs them.

    async def list_product(self, message: product.ProductListed, now: datetime = T0) -> None:
        async with self.unit() as (uow, stores):
            await handlers.list_product(message, uow, stores, self.publishers, now=now)

    async def onboard(self, message: artisan.ArtisanOnboardingCompleted) -> None:
        async with self.unit() as (_, stores):
            await handlers.record_workshop(message, stores)

    async def order_created(self, message: order.OrderCreated) -> None:
        async with self.unit() as (_, stores):
            await handlers.record_demand(message, stores)

    async def reserve(self, message: inventory.StockReservationRequested, now: datetime = T0) -> None:
        async with self.unit() as (uow, stores):
            await handlers.reserve_stock(message, uow, stores, self.publishers, now=now)

    async def release(self, message: inventory.StockReservationReleaseRequested, now: datetime = T0) -> None:
        async with self.unit() as (uow, stores):
            await handlers.release_reservation(message, uow, stores, self.publishers, now=now)

    async def commit(self, message: inventory.StockReservationCommitRequested, now: datetime = T0) -> None:
        async with self.unit() as (uow, stores):
            await handlers.commit_reservation(message, uow, stores, self.publishers, now=now)

    async def expire(self, now: datetime) -> int:
        async with self.unit() as (uow, stores):
            return await handlers.expire_due_reservations(uow, stores, self.publishers, now=now)

    async def state_changed(self, message: order.OrderStateChanged, now: datetime = T0) -> None:
        async with self.unit() as (uow, stores):
            await handlers.cancel_order(message, uow, stores, self.publishers, now=now)

    async def items_modified(self, message: order.OrderItemsModified, now: datetime = T0) -> None:
        async with self.unit() as (uow, stores):
            await handlers.modify_order(message, uow, stores, self.publishers, now=now)

    async def replenish(
        self,
        message: inventory.StockThresholdReached,
        message_id: UUID,
        now: datetime = T0,
        delay: timedelta = timedelta(seconds=60),
    ) -> None:
        async with self.unit() as (uow, stores):
            await handlers.replenish(
                message, uow, stores, self.publishers, message_id=message_id, now=now, restock_delay=delay
            )

    async def restock(self, now: datetime) -> int:
        async with self.unit() as (uow, stores):
            return await handlers.receive_due_restocks(uow, stores, self.publishers, now=now)

    async def report(self, now: datetime = T0, chunk: int = handlers.REPORT_CHUNK) -> int:
        async with self.unit() as (uow, stores):
            return await handlers.report_stock(uow, stores, self.publishers, now=now, chunk=chunk)

    async def project(self, levels: list[inventory.StockLevel], at: datetime = T0) -> int:
        async with self.unit() as (_, stores):
            return await handlers.project_levels(levels, at, stores, self.cache)

    async def stock(self, product_id: UUID) -> Stock:
        async with self.unit() as (_, stores):
            found = (await stores.stock.get([product_id])).get(product_id)
        assert found is not None, f"no stock for {product_id}"
        return found


@pytest.fixture(params=["fake", *BACKENDS])
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    """PostgreSQL runs when A4CO_TEST_POSTGRES_URL is set (see tests/platform/sql/conftest.py)."""
    if request.param == "fake":
        yield World("fake", None)
        return
    async with open_database(request.param, tmp_path) as db:
        yield World(request.param, db)
