"""The delivery service as a process: it answers scheduling requests once per delivery, idempotently."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from a4co_sdk.clients.delivery import DeliveryClient
from a4co_sdk.models import common, delivery, inventory
from a4co_sdk.publishers.order import OrderPublishers
from tests.services.harness import Running, body, running

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


@pytest.fixture(scope="module")
async def service(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    async with running(Path(tmp_path_factory.mktemp("delivery")), "delivery") as started:
        yield started


def request(postal_code: str = "23400") -> delivery.DeliverySchedulingRequested:
    return delivery.DeliverySchedulingRequested(
        delivery_id=uuid4(),
        order_id=uuid4(),
        customer_id=uuid4(),
        delivery_address=common.Address(
            recipient_name="Ana Ruiz",
            street="Calle Real 3",
            postal_code=postal_code,
            city="Úbeda",
            province="Jaén",
            country="ES",
        ),
        parcels=[
            delivery.Parcel(
                artisan_id=uuid4(),
                items=[inventory.ProductQuantity(product_id=uuid4(), quantity=2)],
                weight_kg=7.0,
            )
        ],
        requested_at=datetime(2026, 11, 27, 10, tzinfo=UTC),
    )


async def test_a_request_is_answered_with_a_scheduled_delivery(service: Running) -> None:
    publishers = OrderPublishers(service.js, cipher=service.cipher("order"))
    asked = request()
    await publishers.delivery_scheduling_requested.publish(asked)
    answer = await service.wait_for(lambda: _answer_for(service, asked.delivery_id))
    assert answer["carrier"] == "Jaén Mensajería"
    assert answer["cost"] == {"amount": "4.95", "currency": "EUR"}  # 3.95 + 2 kg above 5 kg at 0.50
    assert answer["window"]["start"].startswith("2026-11-30T09:00")  # Monday, one working day after Friday


async def _answer_for(service: Running, delivery_id: object) -> dict[str, object]:
    msg = await service.js.get_last_msg("DELIVERIES", "delivery.scheduled.v1")
    data = body(msg)
    assert data["deliveryId"] == str(delivery_id)
    return data  # type: ignore[no-any-return]


async def test_a_repeated_request_gets_the_same_answer_again(service: Running) -> None:
    publishers = OrderPublishers(service.js, cipher=service.cipher("order"))
    asked = request("41001")
    await publishers.delivery_scheduling_requested.publish(asked)
    first = await service.wait_for(lambda: _answer_for(service, asked.delivery_id))
    before = await service.count("DELIVERIES", "delivery.scheduled.v1")
    await publishers.delivery_scheduling_requested.publish(asked)  # a new message id: the saga asked again
    await service.wait_for(lambda: _more(service, before))
    second = await _answer_for(service, asked.delivery_id)
    assert {k: v for k, v in first.items() if k != "scheduledAt"} == {
        k: v for k, v in second.items() if k != "scheduledAt"
    }
    assert first["carrier"] == "Correos Express"


async def _more(service: Running, before: int) -> None:
    assert await service.count("DELIVERIES", "delivery.scheduled.v1") > before


async def test_health_readiness_and_metrics_over_http(service: Running) -> None:
    async with service.client(DeliveryClient, "delivery") as client:
        health = await client.get_health()
        ready = await client.get_readiness()
        metrics = await client.get_metrics()
    assert health.service == "delivery"
    assert ready.status.value == "ready"
    assert "a4co_messages_total" in metrics
