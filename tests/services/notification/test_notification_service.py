"""The notification service as a process: a contact directory, a notification scheduled for every event
it receives (once, however often the event comes), the order confirmation the saga waits for, and the
batch sender grouping, bouncing and reporting."""

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from a4co_sdk._runtime.publishing import OutgoingMessage
from a4co_sdk.clients.notification import NotificationClient
from a4co_sdk.models import artisan, common, delivery, inventory, loyalty, order, payment, user
from a4co_sdk.publishers.artisan import ArtisanPublishers
from a4co_sdk.publishers.delivery import DeliveryPublishers
from a4co_sdk.publishers.inventory import InventoryPublishers
from a4co_sdk.publishers.loyalty import LoyaltyPublishers
from a4co_sdk.publishers.order import OrderPublishers
from a4co_sdk.publishers.payment import PaymentPublishers
from a4co_sdk.publishers.user import UserPublishers
from tests.services.harness import Running, running
from tests.services.user.helpers import bodies, redeliver, send

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

GROUP_WINDOW = 1.5
NOW = datetime.now(UTC).replace(microsecond=0)
EUR = "EUR"


@pytest.fixture(scope="module")
async def service(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    env = {"A4CO_NOTIFICATION_GROUP_WINDOW": str(GROUP_WINDOW), "A4CO_NOTIFICATION_SEND_INTERVAL": "0.3"}
    async with running(Path(tmp_path_factory.mktemp("notification")), "notification", env=env) as started:
        yield started


def money(amount: str) -> common.Money:
    return common.Money(amount=Decimal(amount), currency=EUR)


async def scheduled(service: Running, recipient: UUID, template: str | None = None) -> list[dict[str, Any]]:
    return [
        s
        for s in await bodies(service.js, "NOTIFICATIONS", "notification.scheduled.v1")
        if s["recipientId"] == str(recipient) and (template is None or s["template"] == template)
    ]


async def exactly(service: Running, recipient: UUID, template: str, count: int = 1) -> list[dict[str, Any]]:
    found = await scheduled(service, recipient, template)
    assert len(found) == count, f"{len(found)} {template} for {recipient}, not {count}"
    return found


async def register(service: Running, email: str = "maria.lopez@example.es", phone: str | None = None) -> UUID:
    customer = uuid4()
    await UserPublishers(service.js, cipher=service.cipher("user")).user_registered.publish(
        user.UserRegistered(
            user_id=customer,
            email=email,
            full_name="María López",
            phone=phone,
            preferred_language=user.PreferredLanguage.ES,
            marketing_consent=False,
            registered_at=NOW,
        )
    )
    await service.wait_for(lambda: exactly(service, customer, "user.welcome"))
    return customer


def order_created(order_id: UUID, customer: UUID, artisan_id: UUID | None = None) -> order.OrderCreated:
    return order.OrderCreated(
        order_id=order_id,
        customer_id=customer,
        items=[
            order.OrderItem(
                product_id=uuid4(),
                artisan_id=artisan_id,
                product_name="AOVE Picual 500 ml",
                category=common.ProductCategory.OLIVE_OIL,
                quantity=2,
                unit_price=money("9.80"),
            )
        ],
        total_amount=money("19.60"),
        delivery_address=common.Address(
            recipient_name="María López",
            street="Calle Real 12",
            postal_code="23440",
            city="Baeza",
            province="Jaén",
            country="ES",
        ),
        estimated_delivery=common.DateRange(start=NOW + timedelta(days=2), end=NOW + timedelta(days=3)),
        created_at=NOW,
    )


def state_changed(order_id: UUID, state: order.OrderState) -> order.OrderStateChanged:
    return order.OrderStateChanged(
        order_id=order_id,
        previous_state=order.OrderState.PAID,
        current_state=state,
        reason="paid and every line committed",
        changed_by="order",
        changed_at=NOW,
    )


async def placed_order(service: Running, customer: UUID, artisan_id: UUID | None = None) -> UUID:
    order_id = uuid4()
    await OrderPublishers(service.js, cipher=service.cipher("order")).order_created.publish(
        order_created(order_id, customer, artisan_id)
    )
    await service.wait_for(lambda: exactly(service, customer, "order.received"))
    return order_id


# -- the order confirmation the saga waits for ----------------------------------------------------------


async def test_an_order_confirmation_is_scheduled_about_the_order_once(service: Running) -> None:
    customer = await register(service, phone="+34600001111")
    order_id = await placed_order(service, customer)
    saga = OrderPublishers(service.js, cipher=service.cipher("order"))
    confirmation = saga.order_state_changed.prepare(state_changed(order_id, order.OrderState.CONFIRMED))
    await send(service.js, confirmation)
    [scheduled_event] = await service.wait_for(lambda: exactly(service, customer, "order.confirmed"))
    assert scheduled_event["relatedTo"] == {"aggregateType": "order", "aggregateId": str(order_id)}
    assert (scheduled_event["type"], scheduled_event["priority"]) == ("sms", "high")  # urgent, and a phone
    assert "maria" not in str(scheduled_event).lower()  # no personal data in NOTIFICATIONS
    await redeliver(service.js, confirmation)  # the same message: the inbox drops it
    await saga.order_state_changed.publish(state_changed(order_id, order.OrderState.CONFIRMED))  # a new one
    other = await register(service)
    await placed_order(service, other)  # a sentinel on the same consumer, after both
    await exactly(service, customer, "order.confirmed")


async def test_a_paid_order_in_between_states_tells_nobody(service: Running) -> None:
    customer = await register(service)
    order_id = await placed_order(service, customer)
    saga = OrderPublishers(service.js, cipher=service.cipher("order"))
    await saga.order_state_changed.publish(state_changed(order_id, order.OrderState.PAYMENT_PROCESSING))
    await saga.order_state_changed.publish(state_changed(order_id, order.OrderState.CANCELLED))
    [cancelled] = await service.wait_for(lambda: exactly(service, customer, "order.cancelled"))
    assert [s["template"] for s in await scheduled(service, customer)] == [
        "user.welcome",
        "order.received",
        "order.cancelled",
    ]
    assert cancelled["variables"]["state"] == "cancelled"


# -- every receive operation schedules its notification, once -------------------------------------------


@dataclass
class Case:
    """One event: how to make it for a recipient (and the order it is about), and what it schedules."""

    template: str
    make: Callable[[Running, UUID, UUID], OutgoingMessage]
    needs_order: bool = True
    """The recipient is a registered customer with an order; otherwise anyone (an artisan, a newcomer)."""


def _payment(service: Running) -> PaymentPublishers:
    return PaymentPublishers(service.js, cipher=service.cipher("payment"))


def _inventory(service: Running) -> InventoryPublishers:
    return InventoryPublishers(service.js, cipher=service.cipher("inventory"))


def _artisans(service: Running) -> ArtisanPublishers:
    return ArtisanPublishers(service.js, cipher=service.cipher("artisan"))


def _onboarded(artisan_id: UUID) -> artisan.ArtisanOnboardingCompleted:
    return artisan.ArtisanOnboardingCompleted(
        artisan_id=artisan_id,
        business_info=artisan.BusinessInfo(
            business_name="Almazara Sierra Mágina",
            legal_name="Almazara Sierra Mágina S.L.",
            tax_id="B23000000",
            description="Aceite de oliva virgen extra de Bedmar.",
            town="Bedmar",
            province="Jaén",
            location=common.GeoPoint(latitude=37.82, longitude=-3.41),
            phone="+34953000000",
            email="almazara@example.es",
        ),
        certifications=[],
        product_categories=[common.ProductCategory.OLIVE_OIL],
        delivery_capabilities=artisan.DeliveryCapabilities(
            ships_nationwide=True,
            local_pickup=True,
            delivery_radius_km=50,
            average_preparation_days=2,
            monthly_capacity_units=500,
        ),
        completed_at=NOW,
        onboarding_score=92.5,
    )


CASES = {
    "user.welcome": Case(
        "user.welcome",
        lambda s, r, _o: UserPublishers(s.js, cipher=s.cipher("user")).user_registered.prepare(
            user.UserRegistered(
                user_id=r,
                email="nuevo@example.es",
                full_name="Nuevo Cliente",
                preferred_language=user.PreferredLanguage.EN,
                marketing_consent=True,
                registered_at=NOW,
            )
        ),
        needs_order=False,
    ),
    "order.received": Case(
        "order.received",
        lambda s, r, o: OrderPublishers(s.js, cipher=s.cipher("order")).order_created.prepare(
            order_created(o, r)
        ),
        needs_order=False,
    ),
    "order.items.modified": Case(
        "order.items.modified",
        lambda s, _r, o: OrderPublishers(s.js, cipher=s.cipher("order")).order_items_modified.prepare(
            order.OrderItemsModified(
                order_id=o,
                added_items=[],
                removed_items=[],
                modified_items=[order.OrderItem(product_id=uuid4(), quantity=1, unit_price=money("9.80"))],
                new_total_amount=money("9.80"),
                modified_by="customer",
                modified_at=NOW,
            )
        ),
    ),
    "payment.received": Case(
        "payment.received",
        lambda s, _r, o: _payment(s).payment_succeeded.prepare(
            payment.PaymentSucceeded(
                payment_id=uuid4(),
                order_id=o,
                amount=money("19.60"),
                processor_reference="ch_1",
                captured_at=NOW,
            )
        ),
    ),
    "payment.failed": Case(
        "payment.failed",
        lambda s, _r, o: _payment(s).payment_failed.prepare(
            payment.PaymentFailed(
                payment_id=uuid4(),
                order_id=o,
                amount=money("19.60"),
                reason=payment.PaymentFailureReason.DECLINED,
                failed_at=NOW,
            )
        ),
    ),
    "payment.refunded": Case(
        "payment.refunded",
        lambda s, _r, o: _payment(s).payment_refunded.prepare(
            payment.PaymentRefunded(
                refund_id=uuid4(),
                payment_id=uuid4(),
                order_id=o,
                amount=money("19.60"),
                outcome=payment.RefundOutcome.REFUNDED,
                refunded_at=NOW,
            )
        ),
    ),
    "delivery.scheduled": Case(
        "delivery.scheduled",
        lambda s, _r, o: DeliveryPublishers(s.js, cipher=s.cipher("delivery")).delivery_scheduled.prepare(
            delivery.DeliveryScheduled(
                delivery_id=uuid4(),
                order_id=o,
                carrier="Jaén Mensajería",
                tracking_code="JAE2344012345678901",
                window=common.DateRange(start=NOW + timedelta(days=1), end=NOW + timedelta(days=1, hours=5)),
                cost=money("3.95"),
                scheduled_at=NOW,
            )
        ),
    ),
    "loyalty.points.earned": Case(
        "loyalty.points.earned",
        lambda s, r, o: LoyaltyPublishers(s.js, cipher=s.cipher("loyalty")).loyalty_points_earned.prepare(
            loyalty.LoyaltyPointsEarned(
                customer_id=r,
                order_id=o,
                points=19,
                balance=519,
                tier=loyalty.LoyaltyTier.SILVER,
                earned_at=NOW,
            )
        ),
    ),
    "stock.threshold.reached": Case(
        "stock.threshold.reached",
        lambda s, r, _o: _inventory(s).stock_threshold_reached.prepare(
            inventory.StockThresholdReached(
                product_id=uuid4(),
                current_stock=3,
                threshold=5,
                threshold_type=inventory.ThresholdType.CRITICAL,
                artisan_id=r,
                product_name="AOVE Picual 500 ml",
                last_restock_date=NOW - timedelta(days=10),
                average_daily_sales=1.5,
                estimated_stockout_date=NOW + timedelta(days=2),
            )
        ),
        needs_order=False,
    ),
    "purchase-order.created": Case(
        "purchase-order.created",
        lambda s, r, _o: _inventory(s).purchase_order_created.prepare(
            inventory.PurchaseOrderCreated(
                purchase_order_id=uuid4(),
                product_id=uuid4(),
                artisan_id=r,
                quantity=40,
                threshold_type=inventory.ThresholdType.LOW,
                expected_by=NOW + timedelta(days=5),
                created_at=NOW,
            )
        ),
        needs_order=False,
    ),
    "purchase-order.cancelled": Case(
        "purchase-order.cancelled",
        lambda s, r, _o: _inventory(s).purchase_order_cancelled.prepare(
            inventory.PurchaseOrderCancelled(
                purchase_order_id=uuid4(),
                product_id=uuid4(),
                artisan_id=r,
                reason="capacity exceeded",
                cancelled_at=NOW,
            )
        ),
        needs_order=False,
    ),
    "restock.scheduled": Case(
        "restock.scheduled",
        lambda s, r, _o: _inventory(s).restock_scheduled.prepare(
            inventory.RestockScheduled(
                restock_id=uuid4(),
                purchase_order_id=uuid4(),
                product_id=uuid4(),
                artisan_id=r,
                quantity=40,
                scheduled_for=NOW + timedelta(days=3),
                scheduled_at=NOW,
            )
        ),
        needs_order=False,
    ),
    "artisan.welcome": Case(
        "artisan.welcome",
        lambda s, r, _o: _artisans(s).artisan_onboarding_completed.prepare(_onboarded(r)),
        needs_order=False,
    ),
    "artisan.performance.report": Case(
        "artisan.performance.report",
        lambda s, r, _o: _artisans(s).artisan_performance_evaluated.prepare(
            artisan.ArtisanPerformanceEvaluated(
                artisan_id=r,
                period=common.DateRange(start=NOW - timedelta(days=30), end=NOW),
                metrics=artisan.PerformanceMetrics(
                    orders_fulfilled=42,
                    average_rating=4.8,
                    on_time_delivery_rate=97.5,
                    customer_satisfaction_score=95,
                    revenue=money("1234.50"),
                ),
                tier=artisan.ArtisanTier.GOLD,
                recommendations=[artisan.Recommendation("Añadir fotos de la almazara")],
                evaluated_at=NOW,
            )
        ),
        needs_order=False,
    ),
}


async def _subject(service: Running, case: Case) -> tuple[UUID, UUID]:
    if not case.needs_order:
        return uuid4(), uuid4()
    customer = await register(service)
    return customer, await placed_order(service, customer)


@pytest.mark.parametrize("name", list(CASES))
async def test_each_event_schedules_its_notification_once(service: Running, name: str) -> None:
    case = CASES[name]
    recipient, order_id = await _subject(service, case)
    message = case.make(service, recipient, order_id)
    await send(service.js, message)
    [first] = await service.wait_for(lambda: exactly(service, recipient, case.template))
    await redeliver(service.js, message)  # the same message: the inbox drops it
    await service.js.publish(
        message.subject,
        message.body,
        headers={**message.headers, "Nats-Msg-Id": str(uuid4()), "event-id": str(uuid4())},
    )  # same fact, new event
    sentinel, sentinel_order = await _subject(service, case)  # the same kind of event after both
    await send(service.js, case.make(service, sentinel, sentinel_order))
    await service.wait_for(lambda: exactly(service, sentinel, case.template))
    assert await exactly(service, recipient, case.template) == [first]


# -- the directory, channels and the batch sender -------------------------------------------------------


async def batches(service: Running, notification_id: str) -> list[dict[str, Any]]:
    found = [
        b
        for b in await bodies(service.js, "NOTIFICATIONS", "notification.batch.processed.v1")
        if notification_id in b["notificationIds"]
    ]
    assert found
    return found


async def test_notifications_of_one_order_leave_in_one_batch_and_bounces_are_reported(
    service: Running,
) -> None:
    maria = await register(service)
    pedro = await register(service, email="pedro+bounce@example.es")
    [welcome] = await exactly(service, maria, "user.welcome")
    assert welcome["type"] == "email"
    order_id = await placed_order(service, maria)
    await _payment(service).payment_succeeded.publish(
        payment.PaymentSucceeded(
            payment_id=uuid4(),
            order_id=order_id,
            amount=money("19.60"),
            processor_reference="ch_2",
            captured_at=NOW,
        )
    )
    [received] = await exactly(service, maria, "order.received")
    [paid] = await service.wait_for(lambda: exactly(service, maria, "payment.received"))
    assert received["groupKey"] == paid["groupKey"] == f"order:{order_id}"
    [batch] = await service.wait_for(lambda: batches(service, paid["notificationId"]), timeout=15)
    assert received["notificationId"] in batch["notificationIds"]  # grouped: one message, one batch
    assert batch["failures"] == [] or all(
        f["notificationId"] not in (received["notificationId"], paid["notificationId"])
        for f in batch["failures"]
    )
    [bounced] = await exactly(service, pedro, "user.welcome")
    [pedro_batch] = await service.wait_for(lambda: batches(service, bounced["notificationId"]), timeout=15)
    failure = next(f for f in pedro_batch["failures"] if f["notificationId"] == bounced["notificationId"])
    assert failure["error"] == "email provider: hard bounce"
    assert pedro_batch["failed"] >= 1
    assert pedro_batch["processingTime"] >= 0


async def test_an_artisans_orders_within_the_window_leave_as_one_digest(service: Running) -> None:
    workshop = uuid4()
    await _artisans(service).artisan_onboarding_completed.publish(_onboarded(workshop))
    await service.wait_for(lambda: exactly(service, workshop, "artisan.welcome"))
    customer = await register(service)
    for _ in range(2):
        await OrderPublishers(service.js, cipher=service.cipher("order")).order_created.publish(
            order_created(uuid4(), customer, workshop)
        )
    first, second = await service.wait_for(lambda: exactly(service, workshop, "artisan.order.received", 2))
    assert first["type"] == "email"  # the directory knows the workshop's email
    assert first["groupKey"] == second["groupKey"] == f"artisan-orders:{workshop}"
    [batch] = await service.wait_for(lambda: batches(service, first["notificationId"]), timeout=15)
    assert second["notificationId"] in batch["notificationIds"]


async def test_health_readiness_and_metrics(service: Running) -> None:
    async with service.client(NotificationClient, "notification") as client:
        assert (await client.get_health()).service == "notification"
        assert (await client.get_readiness()).status.value == "ready"
        metrics = await client.get_metrics()
    assert "a4co_messages_total" in metrics
    assert "# TYPE a4co_notifications_total counter" in metrics  # the batch sender's outcomes
