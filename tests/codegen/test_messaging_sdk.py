"""The generated publishers and subscribers against a real nats-server with JetStream."""

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from faststream.nats import NatsBroker
from nats.js import JetStreamContext

from a4co_sdk import ContractViolation, MessageContext, MissingHandlers, Received, use_context
from a4co_sdk._runtime.jetstream_config import consumer_config, stream_config
from a4co_sdk._runtime.subscribing import Failure
from a4co_sdk.channels import ORDER_CREATED
from a4co_sdk.models import common, order
from a4co_sdk.publishers.order import OrderCreatedPublisher
from a4co_sdk.streams import ORDERS_STREAM, STREAMS
from a4co_sdk.subscribers.notification import OPERATIONS, NotificationHandlers, subscribe

pytestmark = pytest.mark.integration


def order_created(**changes: Any) -> order.OrderCreated:
    data: dict[str, Any] = {
        "order_id": uuid4(),
        "customer_id": uuid4(),
        "items": [
            order.OrderItem(
                product_id=uuid4(),
                quantity=2,
                unit_price=common.Money(amount=Decimal("9.80"), currency="EUR"),
            )
        ],
        "total_amount": common.Money(amount=Decimal("19.60"), currency="EUR"),
        "delivery_address": common.Address(
            recipient_name="María López",
            street="Calle Real 12",
            postal_code="23440",
            city="Baeza",
            province="Jaén",
            country="ES",
        ),
        "estimated_delivery": common.DateRange(
            start=datetime(2026, 11, 23, tzinfo=UTC), end=datetime(2026, 11, 25, tzinfo=UTC)
        ),
        "created_at": datetime.now(UTC),
    }
    data.update(changes)
    return order.OrderCreated(**data)


@pytest.fixture
async def orders(js: JetStreamContext) -> JetStreamContext:
    await js.add_stream(stream_config(ORDERS_STREAM, replicas=1))
    return js


async def test_publish_fills_the_envelope_and_deduplicates(orders: JetStreamContext) -> None:
    publisher = OrderCreatedPublisher(orders)
    event = order_created()
    correlation = uuid4()
    with use_context(MessageContext(correlation_id=correlation, causation_id=uuid4())):
        ack = await publisher.publish(event)
    assert ack.stream == "ORDERS"
    assert not ack.duplicate

    msg = await orders.get_last_msg("ORDERS", ORDER_CREATED.address)
    headers = msg.headers or {}
    assert headers["Nats-Msg-Id"] == headers["event-id"]
    assert headers["event-name"] == "order.created.v1"
    assert headers["aggregate-type"] == "order"
    assert headers["aggregate-id"] == str(event.order_id)
    assert headers["correlation-id"] == str(correlation)
    assert headers["producer"] == "order"
    assert headers["traceparent"].startswith("00-")
    assert order.OrderCreated.model_validate_json(msg.data) == event
    assert b'"amount":"9.80"' in msg.data  # money travels as a decimal string

    again = await publisher.publish(event, message_id=UUID(headers["event-id"]))
    assert again.duplicate  # same event id inside the duplicate window: stored once


async def test_a_wrong_type_or_an_invalid_payload_is_refused_before_sending(orders: JetStreamContext) -> None:
    publisher = OrderCreatedPublisher(orders)
    with pytest.raises(ContractViolation, match="not Money"):
        await publisher.publish(common.Money(amount=Decimal(1), currency="EUR"))  # type: ignore[arg-type]  # the point of the test
    broken = order.OrderCreated.model_construct(**{**dict(order_created()), "items": []})
    with pytest.raises(ContractViolation, match="OrderCreated does not satisfy the contract"):
        await publisher.publish(broken)
    info = await orders.stream_info("ORDERS")
    assert info.state.messages == 0


def test_floats_are_refused_for_money() -> None:
    with pytest.raises(ValueError, match="not as a number"):
        common.Money.model_validate_json(b'{"amount": 9.8, "currency": "EUR"}')
    assert common.Money.model_validate_json(b'{"amount": "9.80", "currency": "EUR"}').amount == Decimal(
        "9.80"
    )


def test_readers_ignore_unknown_fields_and_writers_refuse_them() -> None:
    body = order_created().model_dump_json().replace('"orderId"', '"addedLater":1,"orderId"', 1)
    assert order.OrderCreated.model_validate_json(body, extra="ignore").order_id
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        order.OrderCreated.model_validate_json(body)


class RecordingBase:
    def __init__(self) -> None:
        self.seen: list[tuple[str, Received[Any]]] = []
        self.changed = asyncio.Condition()

    async def _record(self, name: str, received: Received[Any]) -> None:
        async with self.changed:
            self.seen.append((name, received))
            self.changed.notify_all()

    async def wait_for(self, count: int) -> None:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: len(self.seen) >= count), 5)


def recording(interface: type[Any]) -> Any:
    """An implementation of a generated handler interface that records what it receives."""

    def method(name: str) -> Any:
        async def handle(self: RecordingBase, message: Any, received: Received[Any]) -> None:
            await self._record(name, received)

        return handle

    namespace = {name: method(name) for name in interface.__abstractmethods__}
    return type(f"Recording{interface.__name__}", (RecordingBase, interface), namespace)()


class Sink:
    def __init__(self) -> None:
        self.failures: list[Failure] = []

    async def dead_letter(self, failure: Failure) -> None:
        self.failures.append(failure)


def test_a_service_missing_a_handler_fails_naming_the_operation() -> None:
    class Partial(NotificationHandlers):
        async def on_order_created(self, message: Any, received: Any) -> None: ...

    with pytest.raises(
        MissingHandlers, match=r"notificationReceivesOrderStateChanged \(order\.state\.changed\.v1\)"
    ):
        Partial()  # type: ignore[abstract]  # the point of the test


async def test_the_faststream_subscriber_handles_valid_messages_and_dead_letters_bad_ones(
    orders: JetStreamContext, nats_url: str
) -> None:
    for spec in STREAMS.values():
        if spec.name != "ORDERS":
            await orders.add_stream(stream_config(spec, replicas=1))
    for operation in OPERATIONS:
        assert operation.consumer is not None
        await orders.add_consumer(operation.consumer.stream, consumer_config(operation.consumer))
    handlers = recording(NotificationHandlers)
    sink = Sink()
    broker = NatsBroker(nats_url, logger=None)
    subscribe(broker, handlers, dead_letters=sink)
    publisher = OrderCreatedPublisher(orders)
    async with broker:
        await broker.start()
        first = order_created()
        correlation = uuid4()
        with use_context(MessageContext(correlation_id=correlation)):
            await publisher.publish(first)
        await orders.publish(ORDER_CREATED.address, b"\x00not json", headers={"event-id": str(uuid4())})
        await orders.publish(ORDER_CREATED.address, b'{"orderId": "not-a-uuid"}')
        await orders.publish("order.create.v1", b"{}")  # a command: this consumer sees it and skips it
        second = order_created()
        await publisher.publish(second)
        await handlers.wait_for(2)
        for _ in range(50):
            if len(sink.failures) == 2:
                break
            await asyncio.sleep(0.05)

    names = [name for name, _ in handlers.seen]
    assert names == ["on_order_created", "on_order_created"]
    received = handlers.seen[0][1]
    assert received.payload == first
    assert received.envelope.correlation_id == correlation
    assert received.delivery.attempt == 1
    assert handlers.seen[1][1].payload == second  # the consumer kept going after the bad messages
    assert sorted(f.kind for f in sink.failures) == ["invalid", "undecodable"]
    assert all(
        f.consumer == "notification-service-orders" and f.service == "notification" for f in sink.failures
    )
    assert {f.delivery.body for f in sink.failures} == {b"\x00not json", b'{"orderId": "not-a-uuid"}'}
    info = await orders.consumer_info("ORDERS", "notification-service-orders")
    assert info.num_ack_pending == 0
    assert info.num_pending == 0
