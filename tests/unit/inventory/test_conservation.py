"""Stock conservation under many random operations (a property test with hypothesis).

Whatever mix of listings, reservations (repeated, late, of unknown products), releases (also before the
reservation), commits, expiries, cancellations, modifications and replenishments happens, for every
product:

- on hand = initial + restocks - committed + returned, all read from the events sent;
- reserved = the units of the reservations that are held;
- committed - returned = the units orders still hold (nothing comes back twice);
- available = on hand - reserved >= 0;
- the levels the events carry have versions that only grow, one level per version, and the record's
  version is the last one sent.

It runs on the fakes and on SQLite, through the handlers, as the service runs them.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_OID, UUID, uuid5

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from a4co_sdk.models import inventory
from services.inventory.domain.reservations import ReservationStatus
from services.platform.database import Database
from tests.unit.inventory.builders import (
    T0,
    commit,
    items_modified,
    listed,
    onboarded,
    release,
    reservation,
    state_changed,
)
from tests.unit.inventory.conftest import World

# Few ids, so operations meet often: the same reservation committed, modified and released.
PRODUCTS = [UUID(int=i) for i in range(1, 5)]  # the fourth is never listed: an unknown product
LISTABLE = PRODUCTS[:3]
RESERVATIONS = [UUID(int=100 + i) for i in range(6)]
ORDERS = [UUID(int=200 + i) for i in range(3)]
ARTISAN = UUID(int=300)


def order_of(reservation_id: UUID) -> UUID:
    return ORDERS[RESERVATIONS.index(reservation_id) % len(ORDERS)]


KINDS = ("list", "reserve", "release", "commit", "tick", "cancel", "modify", "replenish", "onboard")
# Mostly listed products (the unknown one now and then), in quantities the stock can often serve.
lines = st.lists(
    st.tuples(st.sampled_from(LISTABLE * 6 + PRODUCTS[-1:]), st.integers(1, 5)), min_size=1, max_size=3
)


def draw_operation(data: st.DataObject, requested: dict[UUID, list[UUID]]) -> tuple[Any, ...]:
    """The next operation; releases, commits, cancellations and modifications mostly aim at reservations
    already asked for, so the paths that matter (commit then modify then release) come up often."""
    kind = data.draw(st.sampled_from(KINDS))
    known = st.sampled_from(sorted(requested)) if requested else st.nothing()
    rid = st.one_of(known, st.sampled_from(RESERVATIONS)) if requested else st.sampled_from(RESERVATIONS)
    if kind == "list":
        return (
            kind,
            data.draw(st.sampled_from(LISTABLE)),
            data.draw(st.integers(0, 15)),
            data.draw(st.integers(0, 6)),
        )
    if kind == "reserve":
        return (
            kind,
            data.draw(st.sampled_from(RESERVATIONS)),
            data.draw(lines),
            data.draw(st.integers(-5, 60)),
        )
    if kind in ("release", "commit"):
        return (kind, data.draw(rid))
    if kind == "tick":
        return (kind, data.draw(st.integers(1, 40)))
    if kind == "cancel":
        return (kind, order_of(data.draw(rid)))
    if kind == "modify":
        return (
            kind,
            order_of(data.draw(rid)),
            data.draw(st.sampled_from(LISTABLE)),
            data.draw(st.integers(0, 4)),
        )
    if kind == "onboard":
        return (kind, data.draw(st.integers(0, 60)))
    return (kind,)


@dataclass
class Ledger:
    """What the events say happened, kept apart from the service's own records."""

    initial: dict[UUID, int] = field(default_factory=dict)
    restocked: dict[UUID, int] = field(default_factory=lambda: defaultdict(int))
    committed: dict[UUID, int] = field(default_factory=lambda: defaultdict(int))
    returned: dict[UUID, int] = field(default_factory=lambda: defaultdict(int))
    reserved: dict[UUID, int] = field(default_factory=lambda: defaultdict(int))
    states: dict[str, str] = field(default_factory=dict)
    levels: dict[str, list[tuple[int, int, int]]] = field(default_factory=lambda: defaultdict(list))
    seen: int = 0

    def read(self, messages: list[tuple[str, dict[str, Any]]]) -> None:
        for subject, body in messages[self.seen :]:
            self._apply(subject.split(".", 1)[1], body)
            for level in body.get("stockLevels", []) + ([body["stockLevel"]] if "stockLevel" in body else []):
                self.levels[level["productId"]].append((level["version"], level["onHand"], level["reserved"]))
        self.seen = len(messages)

    def _apply(self, kind: str, body: dict[str, Any]) -> None:
        rid = str(body.get("reservationId"))
        state = self.states.get(rid)
        if kind == "stock.adjusted.v1":
            product = UUID(body["productId"])
            bucket = {"initial": self.initial, "restock": self.restocked, "order_modified": self.returned}
            target = bucket[body["reason"]]
            target[product] = target.get(product, 0) + body["delta"]
        elif kind == "reservation.confirmed.v1" and state is None:
            self.states[rid] = "held"
            for item in body["reservedItems"]:
                self.reserved[UUID(item["productId"])] += item["quantity"]
        elif kind == "reservation.committed.v1" and state == "held":
            self.states[rid] = "committed"
            for item in body["committedItems"]:
                self.reserved[UUID(item["productId"])] -= item["quantity"]
                self.committed[UUID(item["productId"])] += item["quantity"]
        elif kind in ("reservation.released.v1", "reservation.expired.v1") and body["releasedItems"]:
            assert state in ("held", "committed"), f"{kind} freed units of a reservation that held none"
            for item in body["releasedItems"]:
                if state == "held":
                    self.reserved[UUID(item["productId"])] -= item["quantity"]
                else:
                    self.returned[UUID(item["productId"])] += item["quantity"]
            self.states[rid] = "closed"


async def run(world: World, data: st.DataObject) -> None:
    now = T0
    ledger = Ledger()
    replenished = 0
    requested: dict[UUID, list[UUID]] = {}
    for product in LISTABLE:  # listed first (and maybe again later, which changes nothing)
        initial, threshold = data.draw(st.integers(0, 20)), data.draw(st.integers(0, 6))
        await perform(world, ("list", product, initial, threshold), now, replenished)
    for _ in range(data.draw(st.integers(1, 60), label="steps")):
        op = draw_operation(data, requested)
        if op[0] == "reserve":
            requested[op[1]] = [product for product, _ in op[2]]
        now = await perform(world, op, now, replenished)
        if op[0] == "replenish":
            replenished = len(await world.sent("inventory.threshold.reached.v1"))
        ledger.read(await world.messages())
        await check(world, ledger)


async def perform(world: World, op: tuple[Any, ...], now: datetime, replenished: int) -> datetime:
    kind = op[0]
    if kind == "list":
        _, product, initial, threshold = op
        await world.list_product(listed(product, ARTISAN, initial=initial, threshold=threshold), now)
    elif kind == "reserve":
        _, rid, wanted, ttl = op
        request = reservation(
            wanted, reservation_id=rid, order_id=order_of(rid), expires=now + timedelta(seconds=ttl)
        )
        await world.reserve(request, now)
    elif kind == "release":
        await world.release(release(op[1], order_of(op[1])), now)
    elif kind == "commit":
        await world.commit(commit(op[1], order_of(op[1])), now)
    elif kind == "tick":
        now += timedelta(seconds=op[1])
        await world.expire(now)
        await world.restock(now)
    elif kind == "cancel":
        await world.state_changed(state_changed(op[1], "cancelled"), now)
    elif kind == "modify":
        _, order_id, product, quantity = op
        change = (
            items_modified(order_id, modified=[(product, quantity)])
            if quantity
            else items_modified(order_id, removed=[(product, 1)])
        )
        await world.items_modified(change, now)
    elif kind == "replenish":
        for index, body in enumerate(await world.sent("inventory.threshold.reached.v1")):
            if index >= replenished:
                event = inventory.StockThresholdReached.model_validate(body)
                await world.replenish(
                    event, uuid5(NAMESPACE_OID, str(index)), now, delay=timedelta(seconds=20)
                )
    elif kind == "onboard":
        await world.onboard(onboarded(ARTISAN, capacity=op[1], at=now))
    return now


async def check(world: World, ledger: Ledger) -> None:
    async with world.unit() as (_, stores):
        records = await stores.stock.get(PRODUCTS)
        kept: dict[UUID, int] = defaultdict(int)
        for order_id in ORDERS:
            for product, quantity in (await stores.reservations.committed(order_id)).items():
                assert quantity >= 0
                kept[product] += quantity
        holding: dict[UUID, int] = defaultdict(int)
        for rid in RESERVATIONS:
            stored = await stores.reservations.get(rid)
            if stored is not None and stored.status is ReservationStatus.HELD:
                for line in stored.lines:
                    holding[line.product_id] += line.quantity
    assert PRODUCTS[-1] not in records
    for product, stock in records.items():
        expected = (
            ledger.initial[product]
            + ledger.restocked[product]
            - ledger.committed[product]
            + ledger.returned[product]
        )
        assert stock.on_hand == expected, f"{product}: on hand {stock.on_hand}, the events say {expected}"
        assert stock.reserved == holding[product] == ledger.reserved[product]
        assert ledger.committed[product] - ledger.returned[product] == kept[product]
        assert stock.available >= 0
        sent = ledger.levels[str(product)]
        versions = [version for version, _, _ in sent]
        assert versions == sorted(versions), f"{product}: versions went back: {versions}"
        assert len({(v, o, r) for v, o, r in sent}) == len(set(versions)), "two levels for one version"
        assert max(versions) == stock.version
        assert (stock.version, stock.on_hand, stock.reserved) in set(sent)


SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(SETTINGS, max_examples=300)
@given(data=st.data())
def test_conservation_on_the_fakes(data: st.DataObject) -> None:
    asyncio.run(run(World("fake", None), data))


async def _on_sqlite(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(f"sqlite+aiosqlite:///{Path(tmp) / 'inventory.db'}", schema="inventory")
        try:
            await db.create_all()
            await run(World("sqlite", db), data)
        finally:
            await db.close()


@pytest.mark.slow
@settings(SETTINGS, max_examples=40)
@given(data=st.data())
def test_conservation_on_sqlite(data: st.DataObject) -> None:
    asyncio.run(_on_sqlite(data))
