"""transactional_batch: one transaction per batch, one per message when a handler fails, never twice."""

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import pytest
from nats.js import JetStreamContext
from sqlalchemy import select

from a4co_sdk import Received, current_context
from a4co_sdk._runtime.consuming import BatchConsumer
from a4co_sdk._runtime.jetstream_config import consumer_config, stream_config
from a4co_sdk._runtime.publishing import OutgoingMessage
from a4co_sdk._runtime.subscribing import Delivery, Dispatcher, Outcome, Route, Verdict
from a4co_sdk.messages import ORDER_CREATED
from a4co_sdk.models import common, order
from a4co_sdk.operations import NOTIFICATION_RECEIVES_ORDER_CREATED
from a4co_sdk.publishers.order import OrderCreatedPublisher
from a4co_sdk.streams import NOTIFICATION_SERVICE_ORDERS, ORDERS_STREAM
from services.platform.batching import transactional_batch
from services.platform.database import Database
from services.platform.inbox import processed_messages
from services.platform.outbox import OutboxRelay, outbox, stage_all
from services.platform.unit_of_work import FakeUnitOfWork, SqlUnitOfWork, UnitOfWork, current_unit_of_work

from .conftest import BACKENDS, eventually, open_database

CONSUMER = NOTIFICATION_SERVICE_ORDERS.name  # max_deliver 5, backoff 1, 2, 4, 8, 16 s


def order_created() -> order.OrderCreated:
    price = common.Money(amount=Decimal("9.80"), currency="EUR")
    return order.OrderCreated(
        order_id=uuid4(),
        customer_id=uuid4(),
        items=[order.OrderItem(product_id=uuid4(), quantity=2, unit_price=price)],
        total_amount=common.Money(amount=Decimal("19.60"), currency="EUR"),
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


PUBLISHER = OrderCreatedPublisher(cast("JetStreamContext", None))  # prepare() only


def delivery(*, attempt: int = 1, **changes: Any) -> Delivery:
    prepared = PUBLISHER.prepare(order_created())
    fields = {"subject": prepared.subject, "body": prepared.body, "headers": prepared.headers, **changes}
    return Delivery(**fields, attempt=attempt)


def again(original: Delivery, attempt: int) -> Delivery:
    return dataclasses.replace(original, attempt=attempt)


def message_id(d: Delivery) -> UUID:
    return UUID(d.headers["Nats-Msg-Id"])


def reply_id(incoming: UUID) -> UUID:
    """The id of the message a handler sends for `incoming`: derived, so a retry stages the same one."""
    return uuid5(NAMESPACE_URL, f"reply/{incoming}")


class Handlers:
    """Publishes one reply per order through the unit of work; fails for the orders in `failing`."""

    def __init__(self) -> None:
        self.runs: list[UUID] = []
        self.failing: set[UUID] = set()

    async def on_order_created(
        self, message: order.OrderCreated, received: Received[order.OrderCreated]
    ) -> None:
        incoming = received.envelope.message_id
        assert incoming is not None
        context = current_context()
        assert context is not None
        assert context.causation_id == incoming
        assert context.correlation_id == received.envelope.correlation_id
        self.runs.append(incoming)
        current_unit_of_work().publish(OutgoingMessage("test.reply", b"{}", {}, reply_id(incoming), "TEST"))
        if incoming in self.failing:
            raise RuntimeError(f"cannot handle {incoming}")


def dispatcher_for(handlers: Handlers, operation: Any = NOTIFICATION_RECEIVES_ORDER_CREATED) -> Dispatcher:
    return Dispatcher(
        service="notification",
        consumer=NOTIFICATION_SERVICE_ORDERS,
        routes=[Route(operation, handlers.on_order_created)],
    )


class Backend:
    """Units of work on one store, and what committed units left there."""

    def __init__(
        self, make: Callable[[], UnitOfWork], db: Database | None, fake: FakeUnitOfWork | None
    ) -> None:
        self._make = make
        self.db = db
        self.fake = fake
        self.units = 0

    def factory(self) -> UnitOfWork:
        self.units += 1
        return self._make()

    async def replies(self) -> set[UUID]:
        if self.fake is not None:
            return {m.message_id for m in self.fake.published}
        assert self.db is not None
        async with self.db.transaction(read_only=True) as session:
            return set((await session.execute(select(outbox.c.message_id))).scalars())

    async def processed(self) -> set[UUID]:
        if self.fake is not None:
            return self.fake.claimed.get(CONSUMER, set())
        assert self.db is not None
        async with self.db.transaction(read_only=True) as session:
            query = select(processed_messages.c.message_id).where(processed_messages.c.consumer == CONSUMER)
            return set((await session.execute(query)).scalars())


@pytest.fixture(params=["fake", *BACKENDS])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "fake":
        fake = FakeUnitOfWork()
        yield Backend(lambda: fake, None, fake)
        return
    async with open_database(request.param, tmp_path) as db:
        yield Backend(lambda: SqlUnitOfWork(db), db, None)


async def test_a_batch_runs_every_handler_in_one_transaction(backend: Backend) -> None:
    handlers = Handlers()
    process = transactional_batch(backend.factory, dispatcher_for(handlers))
    batch = [delivery() for _ in range(5)]

    outcomes = await process(batch)

    assert outcomes == [Outcome(Verdict.ACK)] * 5
    ids = [message_id(d) for d in batch]
    assert handlers.runs == ids
    assert backend.units == 1
    assert await backend.processed() == set(ids)
    assert await backend.replies() == {reply_id(i) for i in ids}


async def test_a_failing_handler_rolls_the_batch_back_and_only_its_message_is_retried(
    backend: Backend,
) -> None:
    handlers = Handlers()
    process = transactional_batch(backend.factory, dispatcher_for(handlers))
    batch = [delivery() for _ in range(5)]
    ids = [message_id(d) for d in batch]
    bad = ids[2]
    handlers.failing.add(bad)

    outcomes = await process(batch)

    assert [o.verdict for o in outcomes] == [
        Verdict.ACK,
        Verdict.ACK,
        Verdict.RETRY,
        Verdict.ACK,
        Verdict.ACK,
    ]
    assert outcomes[2].delay == 1.0  # the contract's first backoff step
    # 0 and 1 ran in the rolled-back batch and again alone; 2 is not run twice on one delivery.
    assert handlers.runs == [ids[0], ids[1], bad, ids[0], ids[1], ids[3], ids[4]]
    assert backend.units == 1 + 4
    good = set(ids) - {bad}
    assert await backend.processed() == good
    assert await backend.replies() == {reply_id(i) for i in good}  # the failing one's reply rolled back

    assert await process([again(batch[2], 2)]) == [Outcome(Verdict.RETRY, delay=2.0)]
    (dead,) = await process([again(batch[2], 5)])  # the consumer's last delivery
    assert dead.verdict is Verdict.DEAD
    assert dead.failure is not None
    assert (dead.failure.kind, dead.failure.consumer, dead.failure.service) == (
        "handler_error",
        CONSUMER,
        "notification",
    )
    assert "cannot handle" in dead.failure.stack

    handlers.failing.clear()
    assert await process([again(batch[2], 3)]) == [Outcome(Verdict.ACK)]
    assert await backend.processed() == set(ids)
    assert await backend.replies() == {reply_id(i) for i in ids}


async def test_a_redelivered_batch_runs_no_handler_twice(backend: Backend) -> None:
    handlers = Handlers()
    process = transactional_batch(backend.factory, dispatcher_for(handlers))
    batch = [delivery() for _ in range(4)]
    await process(batch)
    runs = list(handlers.runs)

    newcomer = delivery()
    outcomes = await process([*(again(d, 2) for d in batch), newcomer])

    assert outcomes == [Outcome(Verdict.ACK)] * 5
    assert handlers.runs == [*runs, message_id(newcomer)]
    assert len(await backend.replies()) == 5


async def test_a_second_copy_in_the_same_batch_is_a_duplicate(backend: Backend) -> None:
    handlers = Handlers()
    process = transactional_batch(backend.factory, dispatcher_for(handlers))
    original = delivery()
    assert await process([original, dataclasses.replace(original)]) == [Outcome(Verdict.ACK)] * 2
    assert handlers.runs == [message_id(original)]


async def test_bad_messages_are_dead_and_unknown_subjects_skipped_without_stopping_the_batch(
    backend: Backend,
) -> None:
    handlers = Handlers()
    process = transactional_batch(backend.factory, dispatcher_for(handlers))
    good = delivery()
    headers_without_id = {k: v for k, v in good.headers.items() if k not in ("event-id", "Nats-Msg-Id")}
    batch = [
        delivery(body=b"\x00not json"),
        delivery(body=b'{"orderId": "not-a-uuid"}'),
        delivery(headers=headers_without_id),
        delivery(subject="order.create.v1"),  # a subject this consumer has no operation for
        good,
    ]

    outcomes = await process(batch)

    assert [o.verdict for o in outcomes] == [Verdict.DEAD] * 3 + [Verdict.SKIP, Verdict.ACK]
    kinds = [o.failure.kind for o in outcomes[:3] if o.failure is not None]
    assert kinds == ["undecodable", "invalid", "undecodable"]
    assert handlers.runs == [message_id(good)]
    assert await backend.processed() == {message_id(good)}


async def test_a_dead_copy_does_not_take_the_claim_from_a_good_copy_in_the_same_batch(
    backend: Backend,
) -> None:
    handlers = Handlers()
    process = transactional_batch(backend.factory, dispatcher_for(handlers))
    good = delivery()
    broken = dataclasses.replace(good, body=b"\x00not json")  # the same message id, an undecodable body

    outcomes = await process([broken, good])

    assert [o.verdict for o in outcomes] == [Verdict.DEAD, Verdict.ACK]
    assert handlers.runs == [message_id(good)]
    assert await backend.processed() == {message_id(good)}


async def test_a_dead_message_leaves_its_id_free_so_that_its_replay_runs(backend: Backend) -> None:
    handlers = Handlers()
    process = transactional_batch(backend.factory, dispatcher_for(handlers))
    good = delivery()
    invalid = dataclasses.replace(good, body=b'{"orderId": "not-a-uuid"}')

    outcomes = await process([invalid, dataclasses.replace(invalid)])  # two dead copies: released once
    assert [o.verdict for o in outcomes] == [Verdict.DEAD, Verdict.DEAD]
    assert await backend.processed() == set()

    assert await process([good]) == [Outcome(Verdict.ACK)]  # the replay from the dead letter queue
    assert handlers.runs == [message_id(good)]


async def test_a_copy_of_a_processed_message_is_dead_when_its_body_is(backend: Backend) -> None:
    handlers = Handlers()
    process = transactional_batch(backend.factory, dispatcher_for(handlers))
    good = delivery()
    await process([good])

    (outcome,) = await process([dataclasses.replace(good, body=b"\x00not json", attempt=2)])

    assert outcome.verdict is Verdict.DEAD
    assert await backend.processed() == {message_id(good)}


async def test_after_a_handler_fails_dead_messages_stay_dead_and_the_rest_run_alone(backend: Backend) -> None:
    handlers = Handlers()
    process = transactional_batch(backend.factory, dispatcher_for(handlers))
    dead, first, failing, last = delivery(body=b"\x00not json"), delivery(), delivery(), delivery()
    handlers.failing.add(message_id(failing))

    outcomes = await process([dead, first, failing, last])

    assert [o.verdict for o in outcomes] == [Verdict.DEAD, Verdict.ACK, Verdict.RETRY, Verdict.ACK]
    assert handlers.runs == [message_id(d) for d in (first, failing, first, last)]
    assert await backend.processed() == {message_id(first), message_id(last)}


async def test_without_a_message_id_a_message_is_dead_even_when_its_contract_has_no_headers() -> None:
    handlers = Handlers()
    loose = dataclasses.replace(ORDER_CREATED, headers=None)
    operation = dataclasses.replace(NOTIFICATION_RECEIVES_ORDER_CREATED, messages=(loose,))
    process = transactional_batch(FakeUnitOfWork, dispatcher_for(handlers, operation))
    (outcome,) = await process([delivery(headers={})])
    assert outcome.verdict is Verdict.DEAD
    assert outcome.failure is not None
    assert outcome.failure.kind == "undecodable"
    assert "no message id" in str(outcome.failure.error)
    assert handlers.runs == []


async def test_a_failed_commit_falls_back_to_one_transaction_per_message() -> None:
    class CommitFailsOnce(FakeUnitOfWork):
        failed = False

        async def _commit(self) -> None:
            if not self.failed:
                self.failed = True
                raise ConnectionError("the database went away")
            await super()._commit()

    fake = CommitFailsOnce()
    handlers = Handlers()
    process = transactional_batch(lambda: fake, dispatcher_for(handlers))
    batch = [delivery() for _ in range(3)]
    assert await process(batch) == [Outcome(Verdict.ACK)] * 3
    assert fake.claimed[CONSUMER] == {message_id(d) for d in batch}
    assert len(handlers.runs) == 6  # every handler ran in the lost batch and again alone


@pytest.mark.integration
@pytest.mark.parametrize("backend_name", BACKENDS)
async def test_a_batch_consumer_with_a_transactional_batch_against_jetstream(
    backend_name: str, tmp_path: Path, js: JetStreamContext
) -> None:
    await js.add_stream(stream_config(ORDERS_STREAM, replicas=1))
    await js.add_consumer(ORDERS_STREAM.name, consumer_config(NOTIFICATION_SERVICE_ORDERS))
    handlers = Handlers()
    async with open_database(backend_name, tmp_path) as db:
        consumer = BatchConsumer(
            js,
            dispatcher_for(handlers),
            process=transactional_batch(lambda: SqlUnitOfWork(db), dispatcher_for(handlers)),
            fetch_timeout=0.2,
        )
        events = [PUBLISHER.prepare(order_created()) for _ in range(20)]
        handlers.failing.add(events[7].message_id)
        async with db.transaction() as session:  # the producer's outbox, for once in the same database
            await stage_all(session, events)
        await OutboxRelay(db, js).relay_once()
        task = asyncio.create_task(consumer.run())
        try:
            await eventually(lambda: consumer.stats.acked >= 19 and consumer.stats.retried >= 1)
            handlers.failing.clear()  # healed: the redelivery after the 1 s backoff succeeds
            await eventually(lambda: consumer.stats.acked >= 20)
        finally:
            consumer.stop()
            await asyncio.wait_for(task, 2)
        async with db.transaction(read_only=True) as session:
            query = select(processed_messages.c.message_id).where(processed_messages.c.consumer == CONSUMER)
            assert set((await session.execute(query)).scalars()) == {e.message_id for e in events}
        assert sorted(set(handlers.runs)) == sorted(e.message_id for e in events)
    info = await js.consumer_info(ORDERS_STREAM.name, CONSUMER)
    assert (info.num_ack_pending, info.num_pending) == (0, 0)
