"""Event pipeline throughput: publish and consume at once, in two processes, against a raw baseline.

- baseline: nats-py `publish_async` of the same JSON body -> JetStream -> nats-py `fetch(500)`, pydantic
  `validate_json`, `ack` (what the platform's notes call the raw ceiling on this machine).
- sdk: the generated `OrderCreatedPublisher` (validation, envelope, field encryption off) pipelined ->
  JetStream -> the SDK's `BatchConsumer` with the `Dispatcher` (headers and payload validated, tolerant
  reader) and the platform's transactional batch (an idempotency record per message in SQLite, one
  transaction per batch), a no-op handler, `ack`.
- faststream: the same publisher -> the SDK's FastStream binding (one FastStream subscriber, per-message).

Each run publishes N messages and measures how long the consumer takes to process all of them while
they are being published; every run has a time limit. Every publisher and consumer, of every variant,
freezes the heap its set-up built (`gc.freeze()`), as the services' runner does after start-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing as mp
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

__all__ = ["Result", "run", "table"]

STREAM = "BENCH"
SUBJECT = "order.created.v1"
CONSUMER = "bench-consumer"
TIME_LIMIT = 90.0


@dataclass(frozen=True)
class Result:
    name: str
    messages: int
    publish_rate: float
    consume_rate: float
    consumer_cpu: float


def _event() -> Any:
    from a4co_sdk.models import common, order

    return order.OrderCreated(
        order_id=uuid4(),
        customer_id=uuid4(),
        items=[
            order.OrderItem(
                product_id=uuid4(),
                artisan_id=uuid4(),
                product_name="AOVE Picual 500 ml",
                category="olive-oil",
                quantity=3,
                unit_price=common.Money(amount=Decimal("9.80"), currency="EUR"),
            ),
            order.OrderItem(
                product_id=uuid4(),
                artisan_id=uuid4(),
                product_name="Plato verde de Úbeda",
                category="ceramics",
                quantity=1,
                unit_price=common.Money(amount=Decimal("34.00"), currency="EUR"),
            ),
        ],
        total_amount=common.Money(amount=Decimal("63.40"), currency="EUR"),
        delivery_address=common.Address(
            recipient_name="María López",
            street="Calle Real 12",
            postal_code="23440",
            city="Baeza",
            province="Jaén",
            country="ES",
        ),
        estimated_delivery=common.DateRange(
            start=datetime(2026, 11, 23, tzinfo=UTC), end=datetime(2026, 11, 25, tzinfo=UTC)
        ),
        created_at=datetime.now(UTC),
    )


async def _provision(url: str) -> None:
    import nats
    from nats.js.api import AckPolicy, ConsumerConfig, StorageType, StreamConfig

    nc = await nats.connect(url)
    js = nc.jetstream()
    with contextlib.suppress(nats.js.errors.NotFoundError):  # absent on the first run
        await js.delete_stream(STREAM)
    await js.add_stream(
        StreamConfig(name=STREAM, subjects=["order.>"], storage=StorageType.FILE, duplicate_window=120)
    )
    await js.add_consumer(
        STREAM,
        ConsumerConfig(
            durable_name=CONSUMER, ack_policy=AckPolicy.EXPLICIT, max_ack_pending=20000, ack_wait=30
        ),
    )
    await nc.close()


def _settle_heap() -> None:
    """Freeze what start-up built, as the service runner does, so that full collections skip it.

    Every publisher and consumer of every variant calls it once, after its set-up, before its clock starts.
    """
    gc.freeze()


# -- publishers --------------------------------------------------------------------------------------------


async def _publish_raw(url: str, count: int) -> float:
    import nats

    nc = await nats.connect(url)
    js = nc.jetstream(publish_async_max_pending=2000)
    body = _event().model_dump_json(exclude_none=True).encode()
    _settle_heap()
    started = time.perf_counter()
    for _ in range(count):
        await js.publish_async(SUBJECT, body, headers={"Nats-Msg-Id": str(uuid4())})
    await js.publish_async_completed()
    elapsed = time.perf_counter() - started
    await nc.close()
    return count / elapsed


async def _publish_sdk(url: str, count: int) -> float:
    import nats

    from a4co_sdk.publishers.order import OrderCreatedPublisher

    nc = await nats.connect(url)
    js = nc.jetstream(publish_async_max_pending=2000)
    publisher = OrderCreatedPublisher(js)
    event = _event()
    _settle_heap()
    started = time.perf_counter()
    for _ in range(count):
        message = publisher.prepare(event)
        message.headers.pop("Nats-Expected-Stream", None)
        await js.publish_async(message.subject, message.body, headers=message.headers)
    await js.publish_async_completed()
    elapsed = time.perf_counter() - started
    await nc.close()
    return count / elapsed


# -- consumers ---------------------------------------------------------------------------------------------


async def _consume_raw(url: str, count: int) -> tuple[float, float]:
    import nats

    from a4co_sdk.models.order import OrderCreated

    nc = await nats.connect(url)
    sub = await nc.jetstream().pull_subscribe_bind(durable=CONSUMER, stream=STREAM)
    _settle_heap()
    done, started, cpu = 0, 0.0, 0.0
    deadline = time.monotonic() + TIME_LIMIT
    while done < count and time.monotonic() < deadline:
        try:
            batch = await sub.fetch(500, timeout=2)
        except (TimeoutError, nats.errors.TimeoutError):
            continue
        if not started:
            started, cpu = time.perf_counter(), time.process_time()
        for msg in batch:
            OrderCreated.model_validate_json(msg.data, strict=True, extra="ignore")
            await msg.ack()
        done += len(batch)
    elapsed = time.perf_counter() - started
    used = time.process_time() - cpu
    await nc.close()
    return done / elapsed, used / elapsed


async def _consume_sdk(url: str, count: int) -> tuple[float, float]:
    import nats

    from a4co_sdk._runtime.consuming import BatchConsumer
    from a4co_sdk._runtime.specs import ConsumerSpec
    from a4co_sdk._runtime.subscribing import Dispatcher, Route
    from a4co_sdk.operations import NOTIFICATION_RECEIVES_ORDER_CREATED
    from services.platform.batching import transactional_batch
    from services.platform.database import Database
    from services.platform.unit_of_work import SqlUnitOfWork

    nc = await nats.connect(url)
    tmp = tempfile.mkdtemp(prefix="a4co-bench-db-")
    db = await Database.open(f"sqlite+aiosqlite:///{tmp}/bench.db", schema="bench")
    await db.create_all()
    handled = 0

    async def handle(message: Any, received: Any) -> None:
        nonlocal handled
        handled += 1

    spec = ConsumerSpec(name=CONSUMER, stream=STREAM, max_deliver=5, ack_wait=30)
    dispatcher = Dispatcher(
        service="bench", consumer=spec, routes=[Route(NOTIFICATION_RECEIVES_ORDER_CREATED, handle)]
    )
    consumer = BatchConsumer(
        nc.jetstream(),
        dispatcher,
        process=transactional_batch(lambda: SqlUnitOfWork(db), dispatcher),
        batch_size=500,
        fetch_timeout=2,
    )
    _settle_heap()
    task = asyncio.create_task(consumer.run())
    while consumer.stats.received == 0:
        await asyncio.sleep(0.001)
    started, cpu = time.perf_counter(), time.process_time()
    deadline = time.monotonic() + TIME_LIMIT
    while consumer.stats.acked < count and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - started
    used = time.process_time() - cpu
    consumer.stop()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await db.close()
    await nc.close()
    assert handled >= consumer.stats.acked - 1, "every acked message went through the handler"
    return consumer.stats.acked / elapsed, used / elapsed


async def _consume_faststream(url: str, count: int) -> tuple[float, float]:
    from faststream.nats import NatsBroker

    from a4co_sdk._runtime.faststream_binding import register
    from a4co_sdk._runtime.specs import ConsumerSpec, OperationSpec
    from a4co_sdk._runtime.subscribing import Route
    from a4co_sdk.operations import NOTIFICATION_RECEIVES_ORDER_CREATED as OP

    handled = 0
    first: list[float] = []

    async def handle(message: Any, received: Any) -> None:
        nonlocal handled
        if not first:
            first.extend((time.perf_counter(), time.process_time()))
        handled += 1

    spec = ConsumerSpec(name=CONSUMER, stream=STREAM, filter_subjects=(SUBJECT,), max_deliver=5, ack_wait=30)
    operation = OperationSpec(OP.id, "receive", "bench", OP.channel, OP.messages, spec)
    broker = NatsBroker(url, logger=None)
    register(broker, "bench", {CONSUMER: [Route(operation, handle)]}, batch_size=100)
    _settle_heap()
    async with broker:
        await broker.start()
        deadline = time.monotonic() + TIME_LIMIT
        while handled < count and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - first[0]
    used = time.process_time() - first[1]
    return handled / elapsed, used / elapsed


PUBLISHERS = {"raw": _publish_raw, "sdk": _publish_sdk}
CONSUMERS = {"raw": _consume_raw, "sdk": _consume_sdk, "faststream": _consume_faststream}


def _child(kind: str, role: str, url: str, count: int, out: Any) -> None:
    import uvloop

    if role == "publish":
        out.put(uvloop.run(PUBLISHERS[kind](url, count)))
    else:
        out.put(uvloop.run(CONSUMERS[kind](url, count)))


def measure(url: str, name: str, publisher: str, consumer: str, count: int) -> Result:
    asyncio.run(_provision(url))
    ctx = mp.get_context("spawn")
    pub_q, con_q = ctx.Queue(), ctx.Queue()
    con = ctx.Process(target=_child, args=(consumer, "consume", url, count, con_q))
    pub = ctx.Process(target=_child, args=(publisher, "publish", url, count, pub_q))
    con.start()
    time.sleep(1.0)  # the consumer is bound before the first message
    pub.start()
    pub.join(TIME_LIMIT)
    con.join(TIME_LIMIT + 10)
    for process in (pub, con):
        if process.is_alive():
            process.kill()
    publish_rate = pub_q.get(timeout=5)
    consume_rate, cpu = con_q.get(timeout=5)
    return Result(name, count, publish_rate, consume_rate, cpu)


def run(count: int = 100_000, rounds: int = 2) -> list[Result]:
    """Interleaved rounds of every variant; the best round of each is reported (least disturbed by noise)."""
    from bench._servers import nats_server

    variants = [
        ("raw nats-py (baseline)", "raw", "raw"),
        ("SDK publisher + SDK batch consumer", "sdk", "sdk"),
        ("SDK publisher + FastStream binding", "sdk", "faststream"),
    ]
    best: dict[str, Result] = {}
    with nats_server() as server:
        for _ in range(rounds):
            for name, publisher, consumer in variants:
                n = count if consumer != "faststream" else min(count, 30_000)
                result = measure(server.url, name, publisher, consumer, n)
                if name not in best or result.consume_rate > best[name].consume_rate:
                    best[name] = result
    return list(best.values())


def table(results: list[Result]) -> str:
    """The results as text, each consume rate also as a multiple of the first (the raw baseline's)."""
    baseline = results[0].consume_rate
    lines = [
        f"{'variant':<36}{'messages':>10}{'publish/s':>11}{'consume/s':>11}{'× raw':>7}{'consumer CPU':>14}"
    ]
    lines += [
        f"{r.name:<36}{r.messages:>10,}{r.publish_rate:>11,.0f}{r.consume_rate:>11,.0f}"
        f"{r.consume_rate / baseline:>7.2f}{r.consumer_cpu:>14.0%}"
        for r in results
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    print(
        table(run(int(os.environ.get("BENCH_MESSAGES", "50000")), int(os.environ.get("BENCH_ROUNDS", "1"))))
    )
