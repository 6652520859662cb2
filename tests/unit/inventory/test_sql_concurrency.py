"""Concurrent transactions on the real databases: no overselling, no deadlock, one winner per reservation.

Each task runs its handler in a unit of work of its own, as separate consumers (and replicas) do. On
SQLite writers take turns; on PostgreSQL (A4CO_TEST_POSTGRES_URL) they really overlap, and the
conditional updates and status transitions are what keeps the stock right.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from services.inventory.application import handlers
from services.inventory.domain.reservations import ReservationConflictError, ReservationStatus
from tests.platform.sql.conftest import BACKENDS, open_database
from tests.unit.inventory.builders import T0, commit, listed, reservation
from tests.unit.inventory.conftest import World

OIL, PLATE = UUID(int=1), UUID(int=2)


@pytest.fixture(params=BACKENDS)
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    async with open_database(request.param, tmp_path) as db:
        yield World(request.param, db)


async def test_concurrent_reservations_never_hold_more_than_there_is(world: World) -> None:
    await world.list_product(listed(OIL, uuid4(), initial=5, threshold=0))
    requests = [reservation([(OIL, 1)]) for _ in range(20)]

    await asyncio.gather(*(world.reserve(r) for r in requests))

    assert len(await world.sent("inventory.reservation.confirmed.v1")) == 5
    assert len(await world.sent("inventory.reservation.failed.v1")) == 15
    stock = await world.stock(OIL)
    assert (stock.on_hand, stock.reserved, stock.version) == (5, 5, 6)


async def test_reservations_locking_products_in_any_order_do_not_deadlock(world: World) -> None:
    artisan = uuid4()
    await world.list_product(listed(OIL, artisan, initial=100, threshold=0))
    await world.list_product(listed(PLATE, artisan, initial=100, threshold=0))
    requests = [reservation([(OIL, 1), (PLATE, 1)] if i % 2 else [(PLATE, 1), (OIL, 1)]) for i in range(30)]

    async with asyncio.timeout(30):
        await asyncio.gather(*(world.reserve(r) for r in requests))

    assert len(await world.sent("inventory.reservation.confirmed.v1")) == 30
    for product_id in (OIL, PLATE):
        assert (await world.stock(product_id)).reserved == 30


async def test_a_commit_racing_the_expiry_timer_has_one_winner(world: World) -> None:
    await world.list_product(listed(OIL, uuid4(), initial=10, threshold=0))
    requests = [reservation([(OIL, 1)], expires=T0 + timedelta(seconds=30)) for _ in range(5)]
    for request in requests:
        await world.reserve(request)
    just_before = T0 + timedelta(seconds=29, microseconds=999_999)

    async def expire_at_the_deadline() -> None:
        async with world.unit() as (uow, stores):
            await handlers.expire_due_reservations(
                uow, stores, world.publishers, now=T0 + timedelta(seconds=30)
            )

    outcomes = await asyncio.gather(
        *(world.commit(commit(r.reservation_id, r.order_id), now=just_before) for r in requests),
        expire_at_the_deadline(),
        return_exceptions=True,
    )

    # A loser raises (its batch is retried and then answers from the winner's outcome); none does both.
    assert all(o is None or isinstance(o, ReservationConflictError) for o in outcomes), outcomes
    async with world.unit() as (_, stores):
        statuses = [(await stores.reservations.get(r.reservation_id)) for r in requests]
    committed = sum(1 for s in statuses if s is not None and s.status is ReservationStatus.COMMITTED)
    expired = sum(1 for s in statuses if s is not None and s.status is ReservationStatus.EXPIRED)
    assert committed + expired == 5
    stock = await world.stock(OIL)
    assert (stock.on_hand, stock.reserved) == (10 - committed, 0)
