"""The inventory service as a process: what its peers publish goes in, its answers come out of INVENTORY.

One service for the module (restocks due after 1 s, so the replenishment saga completes within a test).
Each test uses products and reservations of its own, so the tests do not depend on each other.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID, uuid4

import httpx
import orjson
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import BaseModel

from a4co_sdk._runtime.http_errors import NotFound
from a4co_sdk._runtime.publishing import NATS_MSG_ID, Publisher
from a4co_sdk.clients.inventory import InventoryClient
from a4co_sdk.publishers.artisan import ArtisanPublishers
from a4co_sdk.publishers.order import OrderPublishers
from a4co_sdk.publishers.product import ProductPublishers
from a4co_sdk.subscribers.inventory import OPERATIONS
from tests.services.harness import Running, running
from tests.unit.inventory.builders import (
    commit,
    items_modified,
    listed,
    onboarded,
    order_created,
    release,
    reservation,
    state_changed,
)

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

P = TypeVar("P", bound=BaseModel)

STREAM = "INVENTORY"
CONFIRMED = "inventory.reservation.confirmed.v1"
FAILED = "inventory.reservation.failed.v1"
EXPIRED = "inventory.reservation.expired.v1"
RELEASED = "inventory.reservation.released.v1"
COMMITTED = "inventory.reservation.committed.v1"
ADJUSTED = "inventory.stock.adjusted.v1"
THRESHOLD = "inventory.threshold.reached.v1"
PO_CREATED = "inventory.purchase.order.created.v1"
RESTOCK = "inventory.restock.scheduled.v1"
REPORTED = "inventory.stock.reported.v1"
ANSWERS = (CONFIRMED, FAILED, EXPIRED, RELEASED, COMMITTED, ADJUSTED)


@pytest.fixture(scope="module")
async def service(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    root = Path(tmp_path_factory.mktemp("inventory"))
    async with running(root, "inventory", env={"A4CO_RESTOCK_DELAY": "1"}) as started:
        yield started


class Peers:
    """What the order, product and artisan services publish, as they would publish it."""

    def __init__(self, service: Running) -> None:
        self.order = OrderPublishers(service.js, cipher=service.cipher("order"))
        self.product = ProductPublishers(service.js, cipher=service.cipher("product"))
        self.artisan = ArtisanPublishers(service.js, cipher=service.cipher("artisan"))
        self.js = service.js

    async def twice(self, publisher: Publisher[P], payload: P) -> None:
        """The same message (same event id) delivered twice, as a redelivery or a DLQ replay would:
        under a new Nats-Msg-Id, so JetStream's own de-duplication lets it through."""
        message = publisher.prepare(payload)
        for _ in range(2):
            headers = {**message.headers, NATS_MSG_ID: str(uuid4())}
            await self.js.publish(message.subject, message.body, headers=headers, stream=message.stream)


async def bodies(service: Running, subject: str) -> list[dict[str, Any]]:
    """Every message on `subject` so far, oldest first."""
    total = await service.count(STREAM, subject)
    if not total:
        return []
    config = ConsumerConfig(ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, inactive_threshold=5)
    subscription = await service.js.pull_subscribe(subject, stream=STREAM, config=config)
    try:
        found: list[dict[str, Any]] = []
        while len(found) < total:
            found += [orjson.loads(m.data) for m in await subscription.fetch(total - len(found), timeout=5)]
        return found
    finally:
        await subscription.unsubscribe()


async def answer(
    service: Running,
    subject: str,
    match: Callable[[dict[str, Any]], bool],
    *,
    count: int = 1,
    timeout: float = 15,
) -> list[dict[str, Any]]:
    """Wait until `count` messages on `subject` satisfy `match`; return them."""

    async def probe() -> list[dict[str, Any]]:
        found = [body for body in await bodies(service, subject) if match(body)]
        assert len(found) >= count, f"{len(found)} of {count} on {subject}"
        return found

    return await service.wait_for(probe, timeout=timeout)


def about(key: str, value: UUID) -> Callable[[dict[str, Any]], bool]:
    return lambda body: body.get(key) == str(value)


async def stock_of(service: Running, product_id: UUID, *, version: int) -> dict[str, Any]:
    """The availability answer once the read model has caught up with `version`."""

    async def probe() -> dict[str, Any]:
        async with service.client(InventoryClient, "inventory", as_service="order") as client:
            found = await client.get_product_availability(product_id=product_id)
        assert found.version >= version, f"version {found.version}, waiting for {version}"
        return found.model_dump(by_alias=True, mode="json")

    return await service.wait_for(probe, timeout=15)


async def a_product(
    service: Running, *, initial: int = 10, threshold: int = 2, artisan: UUID | None = None
) -> UUID:
    product_id = uuid4()
    await Peers(service).product.product_listed.publish(
        listed(product_id, artisan or uuid4(), initial=initial, threshold=threshold, at=datetime.now(UTC))
    )
    await answer(service, ADJUSTED, about("productId", product_id))
    return product_id


def soon(seconds: float = 120) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


# -- the flows ------------------------------------------------------------------------------------------


async def test_a_listed_product_gets_its_stock_and_a_version(service: Running) -> None:
    product_id = uuid4()
    await Peers(service).product.product_listed.publish(listed(product_id, uuid4(), initial=42, threshold=5))

    (adjusted,) = await answer(service, ADJUSTED, about("productId", product_id))

    assert adjusted["reason"] == "initial"
    assert adjusted["stockLevel"] == {
        "productId": str(product_id),
        "onHand": 42,
        "reserved": 0,
        "available": 42,
        "version": 1,
    }


async def test_reservations_are_confirmed_or_failed_as_a_whole(service: Running) -> None:
    oil, plate = await a_product(service, initial=10), await a_product(service, initial=1)
    order = OrderPublishers(service.js, cipher=service.cipher("order"))
    fits = reservation([(oil, 3)], expires=soon())
    too_much = reservation([(oil, 3), (plate, 2)], expires=soon())

    await order.stock_reservation_requested.publish(fits)
    await order.stock_reservation_requested.publish(too_much)

    (confirmed,) = await answer(service, CONFIRMED, about("reservationId", fits.reservation_id))
    assert confirmed["totalReserved"] == 3
    assert confirmed["reservedItems"][0]["location"] == "Jaén · almacén A4CO"
    (failed,) = await answer(service, FAILED, about("reservationId", too_much.reservation_id))
    assert failed["reason"] == "insufficient_stock"
    assert failed["unavailableItems"] == [{"productId": str(plate), "requested": 2, "available": 1}]
    availability = await stock_of(service, oil, version=2)
    assert (availability["onHand"], availability["reserved"], availability["available"]) == (10, 3, 7)


async def test_a_release_before_its_reservation_leaves_a_tombstone(service: Running) -> None:
    oil = await a_product(service)
    order = OrderPublishers(service.js, cipher=service.cipher("order"))
    late = reservation([(oil, 2)], expires=soon())

    await order.stock_reservation_release_requested.publish(release(late.reservation_id, late.order_id))
    await answer(service, RELEASED, about("reservationId", late.reservation_id))
    await order.stock_reservation_requested.publish(late)

    released = await answer(service, RELEASED, about("reservationId", late.reservation_id), count=2)
    assert [r["releasedItems"] for r in released] == [[], []]
    assert [
        c for c in await bodies(service, CONFIRMED) if c["reservationId"] == str(late.reservation_id)
    ] == []
    assert (await stock_of(service, oil, version=1))["reserved"] == 0


async def test_a_committed_reservation_leaves_the_shelf(service: Running) -> None:
    oil = await a_product(service, initial=10)
    order = OrderPublishers(service.js, cipher=service.cipher("order"))
    request = reservation([(oil, 4)], expires=soon())
    await order.stock_reservation_requested.publish(request)
    await answer(service, CONFIRMED, about("reservationId", request.reservation_id))

    await order.stock_reservation_commit_requested.publish(commit(request.reservation_id, request.order_id))

    (committed,) = await answer(service, COMMITTED, about("reservationId", request.reservation_id))
    assert committed["committedItems"] == [{"productId": str(oil), "quantity": 4}]
    availability = await stock_of(service, oil, version=3)
    assert (availability["onHand"], availability["reserved"], availability["inStock"]) == (6, 0, True)


async def test_a_reservation_not_committed_in_time_expires(service: Running) -> None:
    oil = await a_product(service, initial=10)
    order = OrderPublishers(service.js, cipher=service.cipher("order"))
    request = reservation([(oil, 4)], expires=soon(1.5))
    await order.stock_reservation_requested.publish(request)
    await answer(service, CONFIRMED, about("reservationId", request.reservation_id))

    (expired,) = await answer(service, EXPIRED, about("reservationId", request.reservation_id))
    assert expired["releasedItems"] == [{"productId": str(oil), "quantity": 4}]

    await order.stock_reservation_commit_requested.publish(commit(request.reservation_id, request.order_id))
    expired_again = await answer(service, EXPIRED, about("reservationId", request.reservation_id), count=2)
    assert expired_again[-1]["releasedItems"] == []  # the saga compensates; nothing is sold
    assert (await stock_of(service, oil, version=3))["reserved"] == 0


async def test_a_cancelled_order_gives_its_stock_back(service: Running) -> None:
    oil = await a_product(service, initial=10)
    order = OrderPublishers(service.js, cipher=service.cipher("order"))
    request = reservation([(oil, 4)], expires=soon())
    await order.stock_reservation_requested.publish(request)
    await answer(service, CONFIRMED, about("reservationId", request.reservation_id))

    await order.order_state_changed.publish(state_changed(request.order_id, "cancelled"))

    (released,) = await answer(service, RELEASED, about("reservationId", request.reservation_id))
    assert released["releasedItems"] == [{"productId": str(oil), "quantity": 4}]


async def test_low_stock_starts_the_replenishment_saga_and_the_restock_arrives(service: Running) -> None:
    artisan = uuid4()
    peers = Peers(service)
    await peers.artisan.artisan_onboarding_completed.publish(onboarded(artisan, capacity=500, town="Úbeda"))
    oil = await a_product(service, initial=10, threshold=5, artisan=artisan)
    await peers.order.order_created.publish(order_created(uuid4(), [(oil, 30)], at=datetime.now(UTC)))
    request = reservation([(oil, 6)], expires=soon())
    await service.wait_for(lambda: _counted(service, "ORDERS", "order.created.v1"))

    await peers.order.stock_reservation_requested.publish(request)

    (reached,) = await answer(service, THRESHOLD, about("productId", oil))
    assert (reached["thresholdType"], reached["currentStock"], reached["threshold"]) == ("reorder", 4, 5)
    (created,) = await answer(service, PO_CREATED, about("productId", oil))
    assert created["artisanId"] == str(artisan)
    assert created["quantity"] >= 5
    (scheduled,) = await answer(service, RESTOCK, about("productId", oil))
    assert scheduled["purchaseOrderId"] == created["purchaseOrderId"]
    restocked = await answer(
        service, ADJUSTED, lambda b: b["productId"] == str(oil) and b["reason"] == "restock"
    )
    assert restocked[0]["delta"] == created["quantity"]
    confirmed = (await answer(service, CONFIRMED, about("reservationId", request.reservation_id)))[0]
    assert confirmed["reservedItems"][0]["location"] == "Úbeda · taller del artesano"


async def _counted(service: Running, stream: str, subject: str) -> None:
    assert await service.count(stream, subject) > 0


# -- every message twice --------------------------------------------------------------------------------


async def test_a_duplicate_delivery_of_any_message_changes_nothing(service: Running) -> None:
    peers = Peers(service)
    artisan, oil, order_id = uuid4(), uuid4(), uuid4()
    held = reservation([(oil, 3)], order_id=order_id, expires=soon())
    sold = reservation([(oil, 2)], order_id=order_id, expires=soon())
    freed = reservation([(oil, 1)], expires=soon())
    steps: list[tuple[Publisher[Any], BaseModel, str, UUID]] = [
        (peers.artisan.artisan_onboarding_completed, onboarded(artisan), "", artisan),
        (peers.product.product_listed, listed(oil, artisan, initial=20, threshold=2), ADJUSTED, oil),
        (peers.order.order_created, order_created(order_id, [(oil, 5)]), "", order_id),
        (peers.order.stock_reservation_requested, held, CONFIRMED, held.reservation_id),
        (peers.order.stock_reservation_requested, sold, CONFIRMED, sold.reservation_id),
        (peers.order.stock_reservation_requested, freed, CONFIRMED, freed.reservation_id),
        (
            peers.order.stock_reservation_commit_requested,
            commit(sold.reservation_id, order_id),
            COMMITTED,
            sold.reservation_id,
        ),
        (
            peers.order.stock_reservation_release_requested,
            release(freed.reservation_id, freed.order_id),
            RELEASED,
            freed.reservation_id,
        ),
        (peers.order.order_items_modified, items_modified(order_id, modified=[(oil, 1)]), ADJUSTED, oil),
        (
            peers.order.order_state_changed,
            state_changed(order_id, "cancelled"),
            RELEASED,
            held.reservation_id,
        ),
    ]
    for publisher, payload, subject, key in steps:
        await peers.twice(publisher, payload)
        if subject:
            field = "productId" if subject == ADJUSTED else "reservationId"
            await answer(service, subject, about(field, key))
    # Every copy was taken and acknowledged; the copies answered nothing and changed nothing.
    await service.wait_for(lambda: _settled(service), timeout=15)
    await asyncio.sleep(0.5)  # what a copy's transaction would have staged is relayed by now
    counts = {s: len([b for b in await bodies(service, s) if _concerns(b, oil)]) for s in ANSWERS}
    assert counts == {CONFIRMED: 3, FAILED: 0, EXPIRED: 0, RELEASED: 3, COMMITTED: 1, ADJUSTED: 2}
    # 20 listed; 2 sold, 1 of them given back by the modification; the cancellation frees the 3 held and
    # returns the sold unit left: 20 on hand, nothing held, after nine changes.
    availability = await stock_of(service, oil, version=9)
    assert (availability["onHand"], availability["reserved"], availability["version"]) == (20, 0, 9)


def _concerns(body: dict[str, Any], product_id: UUID) -> bool:
    return str(product_id) in orjson.dumps(body).decode()


async def _settled(service: Running) -> None:
    """Every consumer of the service has acknowledged everything it was given."""
    consumers = {(op.consumer.stream, op.consumer.name) for op in OPERATIONS if op.consumer is not None}
    for stream, consumer in sorted(consumers):
        info = await service.js.consumer_info(stream, consumer)
        assert (info.num_pending, info.num_ack_pending) == (0, 0), f"{consumer} is not done"


# -- HTTP -----------------------------------------------------------------------------------------------


async def test_availability_over_http_needs_a_service_token_and_knows_its_products(service: Running) -> None:
    oil = await a_product(service, initial=7)

    availability = await stock_of(service, oil, version=1)
    assert availability == {
        "productId": str(oil),
        "onHand": 7,
        "reserved": 0,
        "available": 7,
        "version": 1,
        "inStock": True,
        "updatedAt": availability["updatedAt"],
    }
    async with service.client(InventoryClient, "inventory", as_service="order") as client:
        with pytest.raises(NotFound) as missing:
            await client.get_product_availability(product_id=uuid4())
    assert missing.value.status == 404
    async with httpx.AsyncClient(base_url=service.market.url("inventory")) as anonymous:
        refused = await anonymous.get(f"/api/inventory/availability/{oil}")
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")


async def test_metrics_count_reservations(service: Running) -> None:
    async with service.client(InventoryClient, "inventory") as client:
        metrics = await client.get_metrics()
    assert "a4co_inventory_reservations_held" in metrics
    assert 'a4co_inventory_reservations_total{outcome="confirmed"}' in metrics


# -- read model rebuild and restarts (last: they stop and start the module's service) ----------------------


async def test_the_availability_read_model_is_rebuilt_from_the_stream(service: Running) -> None:
    oil = await a_product(service, initial=9)
    before = await stock_of(service, oil, version=1)

    reply = await service.nc.request(
        "a4co.admin.inventory.projections.rebuild",
        orjson.dumps({"projection": "inventory-availability"}),
        timeout=30,
    )

    result = orjson.loads(reply.data)
    assert result["ok"], result
    assert result["tables"] == ["inventory_availability"]
    assert result["rowsDeleted"] >= 1
    assert await stock_of(service, oil, version=1) == before  # replayed from INVENTORY


async def test_expiry_and_the_stock_report_carry_on_across_a_restart(service: Running) -> None:
    oil = await a_product(service, initial=10)
    request = reservation([(oil, 2)], expires=soon(1))
    await OrderPublishers(service.js, cipher=service.cipher("order")).stock_reservation_requested.publish(
        request
    )
    await answer(service, CONFIRMED, about("reservationId", request.reservation_id))
    inventory = service.market.process("inventory")

    await asyncio.to_thread(inventory.stop)  # down before the reservation is due
    assert [
        e for e in await bodies(service, EXPIRED) if e["reservationId"] == str(request.reservation_id)
    ] == []
    await asyncio.sleep(1.5)
    await asyncio.to_thread(inventory.start)

    (expired,) = await answer(service, EXPIRED, about("reservationId", request.reservation_id))
    assert expired["releasedItems"] == [{"productId": str(oil), "quantity": 2}]
    reports = await answer(
        service, REPORTED, lambda r: any(lv["productId"] == str(oil) for lv in r["levels"])
    )
    assert {lv["productId"]: lv["onHand"] for r in reports for lv in r["levels"]}[str(oil)] == 10
