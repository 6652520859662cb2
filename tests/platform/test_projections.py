"""Projections: acknowledged means applied, redelivery is absorbed, a rebuild replays into the same model.

A toy projection (product names from `product.listed.v1`) runs on the contract's real durable consumer
`product-catalog-projection`, against a real nats-server and each database backend.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy import Column, MetaData, String, Table, Uuid, func, select

from a4co_sdk import Received
from a4co_sdk._runtime.jetstream_config import consumer_config, stream_config
from a4co_sdk._runtime.subscribing import Outcome, build_routes
from a4co_sdk.models import common, product
from a4co_sdk.operations import PRODUCT_RECEIVES_PRODUCT_LISTED
from a4co_sdk.publishers.product import ProductListedPublisher
from a4co_sdk.streams import CONSUMERS, PRODUCT_CATALOG_PROJECTION, PRODUCTS_STREAM
from services.platform.database import Database, dialect_insert
from services.platform.inbox import processed_messages
from services.platform.projections import (
    Projection,
    ProjectionConsumer,
    ProjectionHost,
    admin_subject,
    projection_status,
)
from services.platform.unit_of_work import SqlUnitOfWork, current_unit_of_work

from .sql.conftest import BACKENDS, open_database

pytestmark = pytest.mark.integration

CONSUMER = PRODUCT_CATALOG_PROJECTION.name

test_metadata = MetaData()
listings = Table(
    "test_projection_listings",
    test_metadata,
    Column("product_id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False),
)


def listed(name: str) -> product.ProductListed:
    return product.ProductListed(
        product_id=uuid4(),
        artisan_id=uuid4(),
        sku="TEST-001",
        name=name,
        description="",
        category=common.ProductCategory.OLIVE_OIL,
        price=common.Money(amount=Decimal("9.80"), currency="EUR"),
        unit_label="botella 500 ml",
        tags=[],
        attributes=[],
        content=product.ProductContent(headline=name, story="", images=[]),
        initial_stock=10,
        low_stock_threshold=2,
        listed_at=datetime.now(UTC),
    )


@dataclass
class Harness:
    db: Database
    js: JetStreamContext
    nc: NatsClient
    host: ProjectionHost
    projection: Projection
    consumer: ProjectionConsumer
    calls: list[UUID] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def publish(self, *names: str) -> list[product.ProductListed]:
        publisher = ProductListedPublisher(self.js)
        messages = [listed(name) for name in names]
        for message in messages:
            await publisher.publish(message)
        return messages

    async def rows(self) -> dict[UUID, str]:
        async with self.db.transaction(read_only=True) as session:
            return dict((await session.execute(select(listings.c.product_id, listings.c.name))).all())

    async def inbox_records(self) -> int:
        async with self.db.transaction(read_only=True) as session:
            return (
                await session.execute(
                    select(func.count())
                    .select_from(processed_messages)
                    .where(processed_messages.c.consumer == CONSUMER)
                )
            ).scalar_one()

    async def caught_up(self, *, within: float = 10.0) -> None:
        async with asyncio.timeout(within):
            while True:
                status = await projection_status(self.js, self.projection, CONSUMERS)
                if status.healthy and status.lag == 0:
                    return
                await asyncio.sleep(0.05)


async def _supervise(consumer: ProjectionConsumer) -> None:
    """As the runner does: run, and run again when it returns or fails."""
    while True:
        with contextlib.suppress(Exception):
            await consumer.run()
        await asyncio.sleep(0.05)


async def _provision(js: JetStreamContext) -> None:
    with contextlib.suppress(NotFoundError):
        await js.delete_stream(PRODUCTS_STREAM.name)
    await js.add_stream(stream_config(PRODUCTS_STREAM, replicas=1))
    await js.add_consumer(PRODUCTS_STREAM.name, config=consumer_config(PRODUCT_CATALOG_PROJECTION))


@pytest.fixture(params=BACKENDS)
async def harness(
    request: pytest.FixtureRequest, tmp_path: Path, js: JetStreamContext, nats_client: NatsClient
) -> AsyncIterator[Harness]:
    async with open_database(request.param, tmp_path) as db:
        async with db.engine.begin() as conn:
            await conn.run_sync(test_metadata.create_all)
        await _provision(js)
        projection = Projection("test-listings", "product", consumers=(CONSUMER,), tables=(listings,))
        holder: dict[str, Harness] = {}

        async def on_listed(message: product.ProductListed, received: Received[Any]) -> None:
            uow = current_unit_of_work()
            insert = dialect_insert(uow.session, listings).values(
                product_id=message.product_id, name=message.name
            )
            await uow.session.execute(
                insert.on_conflict_do_update(
                    index_elements=[listings.c.product_id], set_={"name": message.name}
                )
            )
            holder["h"].calls.append(message.product_id)

        async def after_batch(outcomes: Sequence[Outcome]) -> None:
            holder["h"].batches.append(len(outcomes))

        host = ProjectionHost(
            service="product",
            js=js,
            nc=nats_client,
            db=db,
            unit_of_work=lambda: SqlUnitOfWork(db),
            projections=[projection],
            after_batch=after_batch,
        )
        routes = build_routes(
            "product", (PRODUCT_RECEIVES_PRODUCT_LISTED,), {PRODUCT_RECEIVES_PRODUCT_LISTED.id: on_listed}
        )
        (consumer,) = host.consumers(routes)
        assert isinstance(consumer, ProjectionConsumer)
        h = Harness(db, js, nats_client, host, projection, consumer)
        holder["h"] = h
        h.tasks.append(asyncio.create_task(_supervise(consumer)))
        h.tasks.append(asyncio.create_task(host.serve_admin()))
        try:
            yield h
        finally:
            consumer.stop()
            for task in h.tasks:
                task.cancel()
            await asyncio.gather(*h.tasks, return_exceptions=True)
            with contextlib.suppress(NotFoundError):
                await js.delete_stream(PRODUCTS_STREAM.name)


async def test_applied_messages_are_acknowledged_and_the_lag_falls_to_zero(harness: Harness) -> None:
    sent = await harness.publish("Picual 500 ml", "Arbequina 250 ml", "Royal 1 l")
    await harness.caught_up()
    assert await harness.rows() == {m.product_id: m.name for m in sent}
    status = await projection_status(harness.js, harness.projection, CONSUMERS)
    (lag,) = status.consumers
    assert (lag.exists, lag.lag, lag.ack_floor, lag.stream_last) == (True, 0, 3, 3)
    assert sum(harness.batches) >= 1  # the after-batch hook ran


async def test_a_redelivered_event_is_applied_once(harness: Harness) -> None:
    """The same event stored again under a new Nats-Msg-Id (a DLQ replay keeps its event-id): skipped."""
    event_id = uuid4()
    (sent,) = [listed("Picual 500 ml")]
    original = ProductListedPublisher(harness.js).prepare(sent, message_id=event_id)
    for _ in range(3):
        headers = {**original.headers, "Nats-Msg-Id": str(uuid4())}
        await harness.js.publish(original.subject, original.body, headers=headers)
    await harness.caught_up()
    assert harness.calls == [sent.product_id]
    assert await harness.rows() == {sent.product_id: sent.name}
    assert await harness.inbox_records() == 1
    status = await projection_status(harness.js, harness.projection, CONSUMERS)
    assert status.consumers[0].ack_floor == 3  # all three copies acknowledged


async def test_a_rebuild_replays_the_streams_into_the_same_read_model(harness: Harness) -> None:
    await harness.publish(*(f"Producto {n}" for n in range(25)))
    await harness.caught_up()
    before = await harness.rows()
    inbox_before = await harness.inbox_records()

    result = await harness.host.rebuild("test-listings")
    assert (result.rows_deleted, result.inbox_records_deleted) == (25, inbox_before)
    await harness.caught_up()

    assert await harness.rows() == before
    assert await harness.inbox_records() == inbox_before
    assert len(harness.calls) == 50  # every message was applied again, once
    status = await projection_status(harness.js, harness.projection, CONSUMERS)
    assert status.consumers[0].ack_floor == 25


async def test_a_rebuild_is_asked_for_over_nats(harness: Harness) -> None:
    await harness.publish("Picual 500 ml")
    await harness.caught_up()
    reply = await harness.nc.request(
        admin_subject("product"), orjson.dumps({"projection": "test-listings"}), timeout=30
    )
    answer = orjson.loads(reply.data)
    assert answer["ok"] is True
    assert answer["tables"] == ["test_projection_listings"]
    await harness.caught_up()
    assert len(await harness.rows()) == 1

    unknown = orjson.loads(
        (
            await harness.nc.request(
                admin_subject("product"), orjson.dumps({"projection": "nope"}), timeout=10
            )
        ).data
    )
    assert unknown["ok"] is False
    assert "test-listings" in unknown["error"]
    malformed = orjson.loads((await harness.nc.request(admin_subject("product"), b"[]", timeout=10)).data)
    assert malformed["ok"] is False


async def test_a_paused_consumer_applies_nothing_until_resumed(harness: Harness) -> None:
    await harness.consumer.pause()
    assert harness.consumer.paused
    (sent,) = await harness.publish("Picual 500 ml")
    await asyncio.sleep(0.5)
    assert await harness.rows() == {}
    harness.consumer.resume()
    await harness.caught_up()
    assert await harness.rows() == {sent.product_id: sent.name}


async def test_status_reports_a_missing_consumer(harness: Harness) -> None:
    await harness.consumer.pause()
    await harness.js.delete_consumer(PRODUCTS_STREAM.name, CONSUMER)
    status = await projection_status(harness.js, harness.projection, CONSUMERS)
    assert not status.healthy
    assert status.consumers[0].exists is False
    await harness.host.rebuild("test-listings")  # recreates it
    assert (await projection_status(harness.js, harness.projection, CONSUMERS)).healthy


async def test_projections_are_checked_against_the_service_and_its_consumers(
    db_backend_sqlite: Database, js: JetStreamContext, nats_client: NatsClient
) -> None:
    projection = Projection("x", "product", consumers=(CONSUMER,), tables=(listings,))
    with pytest.raises(ValueError, match="belongs to"):
        ProjectionHost(
            service="artisan",
            js=js,
            nc=nats_client,
            db=db_backend_sqlite,
            unit_of_work=lambda: SqlUnitOfWork(db_backend_sqlite),
            projections=[projection],
        )
    host = ProjectionHost(
        service="product",
        js=js,
        nc=nats_client,
        db=db_backend_sqlite,
        unit_of_work=lambda: SqlUnitOfWork(db_backend_sqlite),
        projections=[projection],
    )
    with pytest.raises(ValueError, match="no receive operation"):
        host.consumers({})
    with pytest.raises(ValueError, match="names no consumer"):
        Projection("y", "product", consumers=(), tables=())


@pytest.fixture
async def db_backend_sqlite(tmp_path: Path) -> AsyncIterator[Database]:
    async with open_database("sqlite", tmp_path) as db:
        yield db
