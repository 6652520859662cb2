"""The order service as a process, with the delivery service; the test plays user, inventory, payment
and notification, answering the saga's requests with their publishers, and checks every step."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from a4co_sdk import ApiError
from a4co_sdk.clients.order import OrderClient
from a4co_sdk.models import common, inventory, notification, order, payment, product, user
from a4co_sdk.publishers.gateway import GatewayPublishers
from a4co_sdk.publishers.inventory import InventoryPublishers
from a4co_sdk.publishers.notification import NotificationPublishers
from a4co_sdk.publishers.payment import PaymentPublishers
from a4co_sdk.publishers.product import ProductPublishers
from a4co_sdk.publishers.user import UserPublishers
from tests.services.harness import Running, running

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

ARTISAN = uuid4()
OIL, PLATE = uuid4(), uuid4()
NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
async def market(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    root = Path(tmp_path_factory.mktemp("order"))
    async with running(root, "order", "delivery", env={"A4CO_SAGA_PAYMENT_SECONDS": "2"}) as started:
        products = ProductPublishers(started.js, cipher=started.cipher("product"))
        for product_id, name, category, price in (
            (OIL, "AOVE Picual 500 ml", "olive-oil", "9.80"),
            (PLATE, "Plato verde de Úbeda", "ceramics", "34.00"),
        ):
            await products.product_listed.publish(
                product.ProductListed(
                    product_id=product_id,
                    artisan_id=ARTISAN,
                    sku=f"SKU-{str(product_id)[:8].upper()}",
                    name=name,
                    description="",
                    category=category,
                    price=common.Money(amount=Decimal(price), currency="EUR"),
                    unit_label="unidad",
                    tags=[],
                    attributes=[],
                    content=product.ProductContent(headline=name, story="", images=[]),
                    initial_stock=10,
                    low_stock_threshold=2,
                    listed_at=NOW,
                )
            )
        yield started


def create(customer: UUID) -> order.CreateOrder:
    return order.CreateOrder(
        order_id=uuid4(),
        customer_id=customer,
        items=[
            order.OrderItem(
                product_id=OIL, quantity=3, unit_price=common.Money(amount=Decimal("9.80"), currency="EUR")
            ),
            order.OrderItem(
                product_id=PLATE, quantity=1, unit_price=common.Money(amount=Decimal("34.00"), currency="EUR")
            ),
        ],
        delivery_address=common.Address(
            recipient_name="María López",
            street="Calle Real 12",
            postal_code="23440",
            city="Baeza",
            province="Jaén",
            country="ES",
        ),
        payment_method_id=uuid4(),
        metadata=order.OrderMetadata(device_info=common.DeviceInfo(type="mobile"), session_id="s-1"),
    )


async def requested(market: Running, stream: str, subject: str, order_id: UUID, count: int = 1) -> list[Any]:
    return await market.messages(
        stream, subject, count=count, where=lambda b: b.get("orderId") == str(order_id)
    )


async def view(market: Running, order_id: UUID) -> order.OrderView:
    async with market.client(OrderClient, "order") as client:
        return await client.get_order(order_id=order_id)


async def until(market: Running, order_id: UUID, state: str) -> order.OrderView:
    async def probe() -> order.OrderView:
        current = await view(market, order_id)
        assert current.state.value == state, current.state
        return current

    return await market.wait_for(probe, timeout=15)


async def place_and_reserve(market: Running) -> tuple[order.CreateOrder, list[Any]]:
    command = create(uuid4())
    await GatewayPublishers(market.js, cipher=market.cipher("gateway")).create_order.publish(command)
    (validation,) = await requested(
        market, "USERS", "user.customer.validation.requested.v1", command.order_id
    )
    await UserPublishers(market.js, cipher=market.cipher("user")).customer_validated.publish(
        user.CustomerValidated(
            validation_id=UUID(validation["validationId"]),
            customer_id=command.customer_id,
            order_id=command.order_id,
            is_valid=True,
            segments=["repeat-buyer"],
            validated_at=datetime.now(UTC),
        )
    )
    reservations = await requested(
        market, "INVENTORY", "inventory.reservation.requested.v1", command.order_id, count=2
    )
    stock = InventoryPublishers(market.js, cipher=market.cipher("inventory"))
    for reservation in reservations:
        item = reservation["items"][0]
        await stock.stock_reservation_confirmed.publish(
            inventory.StockReservationConfirmed(
                reservation_id=UUID(reservation["reservationId"]),
                order_id=command.order_id,
                reserved_items=[
                    inventory.ReservedItem(
                        product_id=UUID(item["productId"]),
                        quantity=item["quantity"],
                        warehouse_id="w",
                        location="Bedmar",
                    )
                ],
                expires_at=datetime.now(UTC) + timedelta(minutes=2),
                total_reserved=item["quantity"],
                stock_levels=[],
            )
        )
    return command, reservations


async def validate_payment(market: Running, command: order.CreateOrder) -> dict[str, Any]:
    (validation,) = await requested(
        market, "PAYMENTS", "payment.method.validation.requested.v1", command.order_id
    )
    assert validation["amount"] == {"amount": "61.70", "currency": "EUR"}  # 5 % off the plate, free delivery
    await PaymentPublishers(market.js, cipher=market.cipher("payment")).payment_method_validated.publish(
        payment.PaymentMethodValidated(
            validation_id=UUID(validation["validationId"]),
            order_id=command.order_id,
            payment_method_id=command.payment_method_id,
            type="card",
            is_valid=True,
            validation_details=payment.ValidationDetails(risk_score=10),
            validated_at=datetime.now(UTC),
        )
    )
    (charge,) = await requested(market, "PAYMENTS", "payment.requested.v1", command.order_id)
    return charge  # type: ignore[no-any-return]


async def test_the_happy_path_confirms_the_order_and_schedules_its_delivery(market: Running) -> None:
    command, reservations = await place_and_reserve(market)
    charge = await validate_payment(market, command)
    assert charge["deliveryCost"]["amount"] == "0.00"
    assert [line["amount"]["amount"] for line in charge["lines"]] == ["61.70"]  # one artisan
    await PaymentPublishers(market.js, cipher=market.cipher("payment")).payment_succeeded.publish(
        payment.PaymentSucceeded(
            payment_id=UUID(charge["paymentId"]),
            order_id=command.order_id,
            amount=common.Money(amount=Decimal("61.70"), currency="EUR"),
            processor_reference="RSY-1",
            captured_at=datetime.now(UTC),
        )
    )
    commits = await requested(
        market, "INVENTORY", "inventory.reservation.commit.requested.v1", command.order_id, 2
    )
    stock = InventoryPublishers(market.js, cipher=market.cipher("inventory"))
    for commit in commits:
        await stock.stock_reservation_committed.publish(
            inventory.StockReservationCommitted(
                reservation_id=UUID(commit["reservationId"]),
                order_id=command.order_id,
                committed_items=[inventory.ProductQuantity(product_id=OIL, quantity=1)],
                committed_at=datetime.now(UTC),
                stock_levels=[],
            )
        )
    await until(market, command.order_id, "confirmed")
    await NotificationPublishers(
        market.js, cipher=market.cipher("notification")
    ).notification_scheduled.publish(
        notification.NotificationScheduled(
            notification_id=uuid4(),
            recipient_id=command.customer_id,
            type="email",
            template="order.confirmed",
            variables={},
            priority="normal",
            scheduled_for=datetime.now(UTC),
            related_to=common.Reference(aggregate_type="order", aggregate_id=str(command.order_id)),
        )
    )
    done = await until(market, command.order_id, "delivery_scheduled")  # the real delivery service answered
    assert done.saga.status.value == "completed"
    assert {step.status.value for step in done.saga.steps} == {"completed"}
    assert [h.state.value for h in done.history] == [
        "pending",
        "stock_reserved",
        "payment_processing",
        "paid",
        "confirmed",
        "delivery_scheduled",
    ]
    states = await market.messages(
        "ORDERS", "order.state.changed.v1", count=5, where=lambda b: b["orderId"] == str(command.order_id)
    )
    assert [s["currentState"] for s in states] == [
        "stock_reserved",
        "payment_processing",
        "paid",
        "confirmed",
        "delivery_scheduled",
    ]
    assert len(reservations) == 2


async def test_a_payment_that_never_answers_is_refunded_then_released_then_cancelled(market: Running) -> None:
    command, reservations = await place_and_reserve(market)
    charge = await validate_payment(market, command)
    # No answer from payment: after A4CO_SAGA_PAYMENT_SECONDS the saga compensates, refund first.
    (refund,) = await requested(market, "PAYMENTS", "payment.refund.requested.v1", command.order_id)
    assert refund["paymentId"] == charge["paymentId"]
    await PaymentPublishers(market.js, cipher=market.cipher("payment")).payment_refunded.publish(
        payment.PaymentRefunded(
            refund_id=UUID(refund["refundId"]),
            payment_id=UUID(charge["paymentId"]),
            order_id=command.order_id,
            amount=common.Money(amount=Decimal(0), currency="EUR"),
            outcome="voided",
            refunded_at=datetime.now(UTC),
        )
    )
    releases = await requested(
        market, "INVENTORY", "inventory.reservation.release.requested.v1", command.order_id, 2
    )
    assert {r["reservationId"] for r in releases} == {r["reservationId"] for r in reservations}
    stock = InventoryPublishers(market.js, cipher=market.cipher("inventory"))
    for release in releases:
        await stock.stock_reservation_released.publish(
            inventory.StockReservationReleased(
                reservation_id=UUID(release["reservationId"]),
                order_id=command.order_id,
                released_items=[],
                reason="payment timeout",
                released_at=datetime.now(UTC),
                stock_levels=[],
            )
        )
    cancelled = await until(market, command.order_id, "cancelled")
    assert cancelled.cancellation_reason is not None
    assert cancelled.cancellation_reason.value == "payment_timeout"
    assert cancelled.saga.status.value == "compensated"
    steps = {s.name.value: s.status.value for s in cancelled.saga.steps}
    assert steps["process-payment"] == "compensated"
    assert steps["reserve-stock"] == "compensated"


async def test_an_unknown_order_is_a_404(market: Running) -> None:
    with pytest.raises(ApiError) as raised:
        await view(market, uuid4())
    assert raised.value.status == 404
