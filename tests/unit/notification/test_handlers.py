"""Scheduling and sending with fakes: the policy's drafts, idempotency, the order confirmation the saga
waits for, unknown orders, grouping into one message, bounces and the batch report."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest

from a4co_sdk.models import common, order, payment
from a4co_sdk.publishers.notification import NotificationPublishers
from services.notification.application import drafts, handlers
from services.notification.application.sender import SenderSettings, send_due
from services.notification.domain.notifications import Contact, Status
from services.platform.unit_of_work import FakeUnitOfWork, UnitOfWork
from tests.unit.notification.fakes import FakeDirectory, FakeNotifications, FakeProviders

NOW = datetime(2026, 11, 20, 10, tzinfo=UTC)
WINDOW = timedelta(seconds=10)
PUBLISHERS = NotificationPublishers(None)  # type: ignore[arg-type]  # prepare() only: nothing is sent
EUR = "EUR"


def created(order_id: UUID, customer_id: UUID, artisans: tuple[UUID, ...] = ()) -> order.OrderCreated:
    money = common.Money(amount=Decimal("24.90"), currency=EUR)
    items = [
        order.OrderItem(
            product_id=uuid4(), artisan_id=a, product_name="AOVE Picual", quantity=2, unit_price=money
        )
        for a in artisans
    ] or [order.OrderItem(product_id=uuid4(), quantity=1, unit_price=money)]
    return order.OrderCreated(
        order_id=order_id,
        customer_id=customer_id,
        items=items,
        total_amount=money,
        delivery_address=common.Address(
            recipient_name="Ana",
            street="Calle Real 3",
            postal_code="23400",
            city="Úbeda",
            province="Jaén",
            country="ES",
        ),
        estimated_delivery=common.DateRange(start=NOW, end=NOW + timedelta(days=2)),
        created_at=NOW,
    )


def confirmed(order_id: UUID) -> order.OrderStateChanged:
    return order.OrderStateChanged(
        order_id=order_id,
        previous_state=order.OrderState.PAID,
        current_state=order.OrderState.CONFIRMED,
        reason="paid and every line committed",
        changed_by="order",
        changed_at=NOW,
    )


class World:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWork()
        self.directory = FakeDirectory()
        self.notifications = FakeNotifications()
        self.providers = FakeProviders()

    async def schedule(self, made: list[Any], now: datetime = NOW) -> None:
        async with self.uow:
            await handlers.schedule_drafts(
                made, self.uow, self.notifications, self.directory, PUBLISHERS, now=now, window=WINDOW
            )

    def published(self, subject: str) -> list[dict[str, Any]]:
        return [orjson.loads(m.body) for m in self.uow.published if m.subject == subject]

    async def send(self, now: datetime) -> Any:
        def stores(_uow: UnitOfWork) -> tuple[FakeNotifications, FakeDirectory]:
            return self.notifications, self.directory

        return await send_due(
            lambda: self.uow,
            stores,
            self.providers,
            PUBLISHERS,
            now=lambda: now,
            settings=SenderSettings(window=WINDOW),
        )


@pytest.fixture
def world() -> World:
    return World()


async def test_an_order_confirmation_is_scheduled_about_the_order(world: World) -> None:
    customer, order_id = uuid4(), uuid4()
    await world.directory.save_contact(
        Contact(customer, "customer", "maria@example.es", "+34600001111", "es"), at=NOW
    )
    await world.schedule(drafts.order_state_changed(confirmed(order_id), customer, NOW))
    [scheduled] = world.published("notification.scheduled.v1")
    assert scheduled["template"] == "order.confirmed"
    assert scheduled["relatedTo"] == {"aggregateType": "order", "aggregateId": str(order_id)}
    assert (scheduled["type"], scheduled["priority"], scheduled["recipientId"]) == (
        "sms",
        "high",
        str(customer),
    )
    assert "maria" not in orjson.dumps(scheduled).decode()  # no personal data in the event


async def test_the_same_fact_twice_schedules_one_notification(world: World) -> None:
    customer, order_id = uuid4(), uuid4()
    await world.schedule(drafts.order_created(created(order_id, customer), NOW))
    await world.schedule(drafts.order_created(created(order_id, customer), NOW))
    assert len(world.published("notification.scheduled.v1")) == 1
    assert len(world.notifications.rows) == 1


async def test_an_order_tells_its_customer_and_each_artisan_their_lines(world: World) -> None:
    customer, oil, ceramics = uuid4(), uuid4(), uuid4()
    await world.schedule(drafts.order_created(created(uuid4(), customer, (oil, ceramics, oil)), NOW))
    by_recipient = {s["recipientId"]: s for s in world.published("notification.scheduled.v1")}
    assert by_recipient[str(customer)]["template"] == "order.received"
    assert by_recipient[str(customer)]["variables"]["itemCount"] == 6
    assert len(by_recipient[str(oil)]["variables"]["lines"]) == 2
    assert by_recipient[str(ceramics)]["groupKey"] == f"artisan-orders:{ceramics}"


async def test_an_event_about_an_unknown_order_is_retried_then_dropped(world: World) -> None:
    with pytest.raises(handlers.RecipientNotKnownYetError):
        await handlers.order_recipient(world.directory, uuid4(), last_attempt=False)
    assert await handlers.order_recipient(world.directory, uuid4(), last_attempt=True) is None


def test_intermediate_states_and_nothing_to_refund_tell_nobody() -> None:
    paid = confirmed(uuid4()).model_copy(update={"current_state": order.OrderState.PAID})
    assert drafts.order_state_changed(paid, uuid4(), NOW) == []
    refund = payment.PaymentRefunded(
        refund_id=uuid4(),
        payment_id=uuid4(),
        order_id=uuid4(),
        amount=common.Money(amount=Decimal(0), currency=EUR),
        outcome=payment.RefundOutcome.NOTHING_TO_REFUND,
        refunded_at=NOW,
    )
    assert drafts.payment_refunded(refund, uuid4(), NOW) == []


async def test_the_sender_groups_bounces_and_reports_the_batch(world: World) -> None:
    maria, pedro, order_id = uuid4(), uuid4(), uuid4()
    await world.directory.save_contact(Contact(maria, "customer", "maria@example.es", None, "es"), at=NOW)
    await world.directory.save_contact(
        Contact(pedro, "customer", "pedro+bounce@example.es", None, "es"), at=NOW
    )
    await world.schedule(drafts.order_created(created(order_id, maria), NOW))  # normal: waits a window
    await world.schedule(drafts.order_state_changed(confirmed(order_id), maria, NOW))  # high: due now
    await world.schedule(drafts.order_created(created(uuid4(), pedro), NOW))
    report = await world.send(NOW + timedelta(seconds=1))
    # Maria's confirmation is due and takes the order's other notification along: one message, two ids.
    assert report.messages == 1
    [message] = world.providers.delivered
    assert (message.template, message.address, len(message.parts)) == ("digest", "maria@example.es", 2)
    report = await world.send(NOW + WINDOW + timedelta(seconds=1))  # Pedro's is due now: it bounces
    assert [o.status for o in report.outcomes] == [Status.FAILED]
    assert await world.send(NOW + WINDOW + timedelta(seconds=3)) is None  # nothing left
    first, second = world.published("notification.batch.processed.v1")
    assert (first["successful"], first["failed"], len(first["notificationIds"])) == (2, 0, 2)
    assert (second["successful"], second["failed"]) == (0, 1)
    assert second["failures"][0]["error"] == "email provider: hard bounce"
    assert first["processingTime"] >= 0


async def test_a_claim_left_by_a_dead_batch_is_sent_after_the_lease(world: World) -> None:
    customer = uuid4()
    await world.schedule(drafts.order_state_changed(confirmed(uuid4()), customer, NOW))
    await world.notifications.claim(uuid4(), now=NOW, window=WINDOW, lease=timedelta(seconds=60), limit=10)
    assert await world.send(NOW + timedelta(seconds=30)) is None  # still leased to the dead batch
    report = await world.send(NOW + timedelta(seconds=61))
    assert [o.status for o in report.outcomes] == [Status.SENT]
    assert world.providers.delivered[0].address == f"push:{customer}"  # unknown to the directory: push
