"""Loyalty rules and handlers: pending points, earned once on confirmation, dropped on cancellation,
whichever of the order's events comes first."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest

from a4co_sdk.models import common, order
from a4co_sdk.publishers.loyalty import LoyaltyPublishers
from services.loyalty.application import handlers
from services.loyalty.application.ports import Ledger
from services.loyalty.domain.points import Account, OrderPoints, Status, points_for, tier_for
from services.platform.unit_of_work import FakeUnitOfWork

NOW = datetime(2026, 11, 20, 10, tzinfo=UTC)
PUBLISHERS = LoyaltyPublishers(None)  # type: ignore[arg-type]  # prepare() only: nothing is sent


@pytest.mark.parametrize(("total", "points"), [("24.90", 24), ("0.99", 0), ("1.00", 1), ("1999.99", 1999)])
def test_one_point_per_whole_euro(total: str, points: int) -> None:
    assert points_for(Decimal(total)) == points


@pytest.mark.parametrize(
    ("balance", "tier"), [(0, "basic"), (499, "basic"), (500, "silver"), (1999, "silver"), (2000, "gold")]
)
def test_tiers_by_balance(balance: int, tier: str) -> None:
    assert tier_for(balance) == tier


class FakeLedger(Ledger):
    def __init__(self) -> None:
        self.orders: dict[UUID, OrderPoints] = {}
        self.accounts: dict[UUID, int] = {}

    async def order(self, order_id: UUID) -> OrderPoints | None:
        found = self.orders.get(order_id)
        if found is None:
            return None
        return OrderPoints(found.order_id, found.status, found.customer_id, found.points, found.settled_at)

    async def save_order(self, order: OrderPoints, *, at: datetime) -> None:
        self.orders[order.order_id] = order

    async def account(self, customer_id: UUID) -> Account:
        return Account(customer_id, self.accounts.get(customer_id, 0))

    async def save_account(self, account: Account, *, at: datetime) -> None:
        self.accounts[account.customer_id] = account.balance


class World:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWork()
        self.ledger = FakeLedger()

    async def created(self, order_id: UUID, customer_id: UUID, total: str) -> None:
        message = order.OrderCreated(
            order_id=order_id,
            customer_id=customer_id,
            items=[
                order.OrderItem(
                    product_id=uuid4(),
                    quantity=1,
                    unit_price=common.Money(amount=Decimal(total), currency="EUR"),
                )
            ],
            total_amount=common.Money(amount=Decimal(total), currency="EUR"),
            delivery_address=common.Address(
                recipient_name="Ana",
                street="Calle Real 3",
                postal_code="23400",
                city="Úbeda",
                province="Jaén",
                country="ES",
            ),
            estimated_delivery=common.DateRange(start=NOW, end=NOW),
            created_at=NOW,
        )
        async with self.uow:
            await handlers.record_order_created(message, self.uow, self.ledger, PUBLISHERS, now=NOW)

    async def changed(self, order_id: UUID, state: str) -> None:
        message = order.OrderStateChanged(
            order_id=order_id,
            previous_state=order.OrderState.PAID,
            current_state=order.OrderState(state),
            reason="test",
            changed_by="order",
            changed_at=NOW,
        )
        async with self.uow:
            await handlers.record_order_state_changed(message, self.uow, self.ledger, PUBLISHERS, now=NOW)

    def earned(self) -> list[dict[str, Any]]:
        return [orjson.loads(m.body) for m in self.uow.published]


@pytest.fixture
def world() -> World:
    return World()


async def test_a_confirmed_order_earns_its_points_once(world: World) -> None:
    customer, first, second = uuid4(), uuid4(), uuid4()
    await world.created(first, customer, "480.50")
    assert world.ledger.orders[first].status is Status.PENDING
    assert world.earned() == []
    await world.changed(first, "confirmed")
    await world.changed(first, "confirmed")  # again: nothing more
    await world.changed(first, "delivered")  # a later state: nothing more
    await world.created(second, customer, "30.00")
    await world.changed(second, "confirmed")
    earned = world.earned()
    assert [(e["orderId"], e["points"], e["balance"], e["tier"]) for e in earned] == [
        (str(first), 480, 480, "basic"),
        (str(second), 30, 510, "silver"),
    ]
    assert world.ledger.accounts[customer] == 510


async def test_a_cancelled_order_drops_its_pending_points(world: World) -> None:
    customer, cancelled = uuid4(), uuid4()
    await world.created(cancelled, customer, "100.00")
    await world.changed(cancelled, "cancelled")
    await world.changed(cancelled, "confirmed")  # never after a cancellation
    assert world.earned() == []
    assert world.ledger.orders[cancelled].status is Status.CANCELLED
    assert customer not in world.ledger.accounts


async def test_a_confirmation_before_the_creation_earns_when_the_creation_arrives(world: World) -> None:
    customer, early = uuid4(), uuid4()
    await world.changed(early, "confirmed")
    assert world.ledger.orders[early].status is Status.CONFIRMED_EARLY
    assert world.earned() == []
    await world.created(early, customer, "2000.00")
    await world.created(early, customer, "2000.00")  # the creation again: nothing more
    [earned] = world.earned()
    assert (earned["points"], earned["balance"], earned["tier"]) == (2000, 2000, "gold")


async def test_a_cancellation_before_the_creation_leaves_a_tombstone(world: World) -> None:
    cancelled = uuid4()
    await world.changed(cancelled, "cancelled")
    await world.created(cancelled, uuid4(), "50.00")
    await world.changed(cancelled, "confirmed")
    assert world.earned() == []


async def test_intermediate_states_and_tiny_orders_earn_nothing(world: World) -> None:
    tiny, customer = uuid4(), uuid4()
    await world.changed(uuid4(), "payment_processing")
    assert world.ledger.orders == {}  # nothing recorded for states that settle nothing
    await world.created(tiny, customer, "0.50")
    await world.changed(tiny, "confirmed")
    assert world.earned() == []  # 0 points: nothing to announce (points >= 1 on the wire)
    assert world.ledger.orders[tiny].status is Status.EARNED
