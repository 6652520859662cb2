"""The loyalty service as a process: points for confirmed orders, once, whatever arrives twice or first."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from a4co_sdk.clients.loyalty import LoyaltyClient
from a4co_sdk.models import common, order
from a4co_sdk.publishers.order import OrderPublishers
from tests.services.harness import Running, running
from tests.services.user.helpers import bodies, redeliver, send

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
async def service(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    async with running(Path(tmp_path_factory.mktemp("loyalty")), "loyalty") as started:
        yield started


def saga(service: Running) -> OrderPublishers:
    return OrderPublishers(service.js, cipher=service.cipher("order"))


def created(order_id: UUID, customer_id: UUID, total: str) -> order.OrderCreated:
    money = common.Money(amount=Decimal(total), currency="EUR")
    return order.OrderCreated(
        order_id=order_id,
        customer_id=customer_id,
        items=[order.OrderItem(product_id=uuid4(), quantity=1, unit_price=money)],
        total_amount=money,
        delivery_address=common.Address(
            recipient_name="Ana Ruiz",
            street="Calle Real 3",
            postal_code="23400",
            city="Úbeda",
            province="Jaén",
            country="ES",
        ),
        estimated_delivery=common.DateRange(start=NOW, end=NOW),
        created_at=NOW,
    )


def changed(order_id: UUID, state: str) -> order.OrderStateChanged:
    return order.OrderStateChanged(
        order_id=order_id,
        previous_state=order.OrderState.PAID,
        current_state=order.OrderState(state),
        reason="paid and every line committed",
        changed_by="order",
        changed_at=NOW,
    )


async def earned_by(service: Running, customer: UUID, count: int) -> list[dict[str, Any]]:
    earned = [
        e
        for e in await bodies(service.js, "LOYALTY", "loyalty.points.earned.v1")
        if e["customerId"] == str(customer)
    ]
    assert len(earned) == count
    return earned


async def settled(service: Running) -> None:
    """A sentinel customer's order, created and confirmed after what the test sent: once its points are
    out, both consumers have handled everything sent before it."""
    sentinel, order_id = uuid4(), uuid4()
    await saga(service).order_created.publish(created(order_id, sentinel, "1.00"))
    await saga(service).order_state_changed.publish(changed(order_id, "confirmed"))
    await service.wait_for(lambda: earned_by(service, sentinel, 1))


async def test_a_confirmed_order_earns_its_points_once_with_balance_and_tier(service: Running) -> None:
    customer, first, second = uuid4(), uuid4(), uuid4()
    publishers = saga(service)
    await publishers.order_created.publish(created(first, customer, "480.90"))
    confirmation = publishers.order_state_changed.prepare(changed(first, "confirmed"))
    await send(service.js, confirmation)
    [earned] = await service.wait_for(lambda: earned_by(service, customer, 1))
    assert (earned["orderId"], earned["points"], earned["balance"], earned["tier"]) == (
        str(first),
        480,
        480,
        "basic",
    )
    await redeliver(service.js, confirmation)  # the same message again: the inbox drops it
    await publishers.order_state_changed.publish(changed(first, "confirmed"))  # a new message: once per order
    await publishers.order_state_changed.publish(changed(first, "delivery_scheduled"))
    await publishers.order_created.publish(created(first, customer, "480.90"))  # creation again
    await settled(service)
    await earned_by(service, customer, 1)
    await publishers.order_created.publish(created(second, customer, "25.00"))
    await publishers.order_state_changed.publish(changed(second, "confirmed"))
    earned_twice = await service.wait_for(lambda: earned_by(service, customer, 2))
    assert (earned_twice[1]["points"], earned_twice[1]["balance"], earned_twice[1]["tier"]) == (
        25,
        505,
        "silver",
    )


async def test_a_cancelled_order_earns_nothing(service: Running) -> None:
    customer, cancelled = uuid4(), uuid4()
    publishers = saga(service)
    await publishers.order_created.publish(created(cancelled, customer, "99.00"))
    await publishers.order_state_changed.publish(changed(cancelled, "cancelled"))
    await settled(service)
    await publishers.order_state_changed.publish(changed(cancelled, "confirmed"))  # never after cancelled
    await settled(service)
    assert await earned_by(service, customer, 0) == []


async def test_a_confirmation_that_overtakes_the_creation_earns_when_the_creation_arrives(
    service: Running,
) -> None:
    customer, early = uuid4(), uuid4()
    publishers = saga(service)
    await publishers.order_state_changed.publish(changed(early, "confirmed"))
    await settled(service)
    assert await earned_by(service, customer, 0) == []
    await publishers.order_created.publish(created(early, customer, "2100.00"))
    [earned] = await service.wait_for(lambda: earned_by(service, customer, 1))
    assert (earned["points"], earned["balance"], earned["tier"]) == (2100, 2100, "gold")


async def test_health_readiness_and_metrics(service: Running) -> None:
    async with service.client(LoyaltyClient, "loyalty") as client:
        assert (await client.get_health()).service == "loyalty"
        assert (await client.get_readiness()).status.value == "ready"
        assert "a4co_messages_total" in await client.get_metrics()
