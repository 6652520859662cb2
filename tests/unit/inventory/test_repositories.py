"""Repository behaviour the use cases rely on, checked directly on the fakes, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from services.inventory.domain.replenishment import Workshop
from services.inventory.domain.stock import Line, StockInvariantError
from tests.unit.inventory.builders import T0, listed
from tests.unit.inventory.conftest import World

OIL, PLATE = UUID(int=1), UUID(int=2)


async def test_holding_is_all_or_nothing_even_when_a_later_line_fails(world: World) -> None:
    artisan = uuid4()
    await world.list_product(listed(OIL, artisan, initial=10))
    await world.list_product(listed(PLATE, artisan, initial=1))

    async with world.unit() as (_, stores):
        # OIL (first in lock order) is held, then PLATE fails: OIL's update is undone with it.
        assert await stores.stock.hold([Line(PLATE, 2), Line(OIL, 3)]) is None
        assert await stores.stock.hold([Line(UUID(int=99), 1)]) is None  # an unknown product
        held = await stores.stock.hold([Line(OIL, 3), Line(PLATE, 1)])

    assert held is not None
    assert [(s.product_id, s.reserved, s.version) for s in held] == [(OIL, 3, 2), (PLATE, 1, 2)]
    oil = await world.stock(OIL)
    assert (oil.reserved, oil.version) == (3, 2)


async def test_freeing_or_taking_more_than_is_held_is_refused(world: World) -> None:
    await world.list_product(listed(OIL, uuid4(), initial=10))
    async with world.unit() as (_, stores):
        await stores.stock.hold([Line(OIL, 2)])
    for change in ("free", "take"):
        with pytest.raises(StockInvariantError):
            async with world.unit() as (_, stores):
                await getattr(stores.stock, change)([Line(OIL, 3)])
    if world.backend != "fake":  # a real unit of work rolled the failed changes back
        stock = await world.stock(OIL)
        assert (stock.on_hand, stock.reserved, stock.version) == (10, 2, 2)


async def test_the_latest_onboarding_of_an_artisan_wins(world: World) -> None:
    artisan = uuid4()
    async with world.unit() as (_, stores):
        await stores.replenishment.save_workshop(Workshop(artisan, "Úbeda", 100, T0))
        await stores.replenishment.save_workshop(Workshop(artisan, "Baeza", 50, T0 - timedelta(days=1)))
        await stores.replenishment.save_workshop(Workshop(artisan, "Jaén", 70, T0 + timedelta(days=1)))
        found = await stores.replenishment.workshop(artisan)
    assert found == Workshop(artisan, "Jaén", 70, T0 + timedelta(days=1))


async def test_demand_counts_each_order_once_within_the_window(world: World) -> None:
    async with world.unit() as (_, stores):
        first, second = uuid4(), uuid4()
        await stores.replenishment.record_demand(first, OIL, T0.date(), 3)
        await stores.replenishment.record_demand(first, OIL, T0.date(), 3)
        await stores.replenishment.record_demand(second, OIL, (T0 - timedelta(days=40)).date(), 9)
        await stores.replenishment.record_demand(second, PLATE, T0.date(), 5)
        recent = await stores.replenishment.units_ordered(OIL, since=(T0 - timedelta(days=30)).date())
        ever = await stores.replenishment.units_ordered(OIL, since=(T0 - timedelta(days=60)).date())
    assert (recent, ever) == (3, 12)
