"""The user service's handlers with fakes: the projection, validation answers and segment changes."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest

from a4co_sdk.models import loyalty, payment, user
from a4co_sdk.publishers.user import UserPublishers
from services.platform.unit_of_work import FakeUnitOfWork
from services.user.application import handlers
from services.user.domain.segments import Segmentation
from tests.unit.user.fakes import FakeChanges, FakeCustomers, FakeSegmentations, FakeValidations

NOW = datetime(2026, 11, 20, 10, tzinfo=UTC)
PUBLISHERS = UserPublishers(None)  # type: ignore[arg-type]  # prepare() only: nothing is sent


def registered(user_id: UUID) -> user.UserRegistered:
    return user.UserRegistered(
        user_id=user_id,
        email="maria.lopez@example.es",
        full_name="María López",
        phone="+34600001111",
        preferred_language=user.PreferredLanguage.ES,
        marketing_consent=True,
        registered_at=NOW,
    )


def validation(customer_id: UUID, validation_id: UUID | None = None) -> user.CustomerValidationRequested:
    return user.CustomerValidationRequested(
        validation_id=validation_id or uuid4(), customer_id=customer_id, order_id=uuid4(), requested_at=NOW
    )


def bodies(uow: FakeUnitOfWork, subject: str) -> list[dict[str, Any]]:
    return [orjson.loads(m.body) for m in uow.published if m.subject == subject]


class World:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWork()
        self.customers = FakeCustomers()
        self.segmentations = FakeSegmentations()
        self.validations = FakeValidations()
        self.changes = FakeChanges()

    async def validate(self, request: user.CustomerValidationRequested) -> dict[str, Any]:
        async with self.uow:
            await handlers.validate_customer(
                request, self.uow, self.customers, self.segmentations, self.validations, PUBLISHERS, now=NOW
            )
        return bodies(self.uow, "user.customer.validated.v1")[-1]

    async def behave(
        self, user_id: UUID, tracking_id: UUID | None = None, query: str = "aceite picual"
    ) -> None:
        message = user.UserBehaviorTracked(
            tracking_id=tracking_id or uuid4(),
            user_id=user_id,
            action="search",
            context=user.BehaviorContext(page="/buscar", search_query=query),
            timestamp=NOW,
            session_id="s-1",
        )
        async with self.uow:
            await handlers.track_behavior(
                message, self.uow, self.segmentations, PUBLISHERS, self.changes, now=NOW
            )

    async def earn(self, user_id: UUID, order_id: UUID, balance: int, tier: str) -> None:
        message = loyalty.LoyaltyPointsEarned(
            customer_id=user_id,
            order_id=order_id,
            points=10,
            balance=balance,
            tier=loyalty.LoyaltyTier(tier),
            earned_at=NOW,
        )
        async with self.uow:
            await handlers.record_loyalty_points(
                message, self.uow, self.segmentations, PUBLISHERS, self.changes, now=NOW
            )


@pytest.fixture
def world() -> World:
    return World()


async def test_a_registered_customer_is_valid_with_their_segments(world: World) -> None:
    maria = uuid4()
    await handlers.register_user(registered(maria), world.customers, world.changes)
    world.segmentations.saved[maria] = Segmentation(maria, segments=("vip",))
    answer = await world.validate(validation(maria))
    assert answer["isValid"] is True
    assert answer["segments"] == ["vip"]
    assert "rejection" not in answer
    assert world.customers.customers[maria].first_name == "María"
    assert world.changes.changed == [maria]


async def test_unknown_and_blocked_customers_are_rejected(world: World) -> None:
    unknown = await world.validate(validation(uuid4()))
    assert (unknown["isValid"], unknown["rejection"], unknown["segments"]) == (False, "unknown_customer", [])
    blocked = uuid4()
    await handlers.register_user(registered(blocked), world.customers, world.changes)
    await handlers.block_user(
        user.UserBlocked(user_id=blocked, reason="chargebacks", blocked_at=NOW),
        world.customers,
        world.changes,
    )
    answer = await world.validate(validation(blocked))
    assert (answer["isValid"], answer["rejection"]) == (False, "blocked")


async def test_a_block_that_arrives_before_the_registration_still_blocks(world: World) -> None:
    customer = uuid4()
    await handlers.block_user(
        user.UserBlocked(user_id=customer, reason="fraud", blocked_at=NOW), world.customers, world.changes
    )
    await handlers.register_user(registered(customer), world.customers, world.changes)
    assert (await world.validate(validation(customer)))["rejection"] == "blocked"


async def test_a_repeated_validation_gets_the_first_answer_again(world: World) -> None:
    customer = uuid4()
    request = validation(customer)
    first = await world.validate(request)  # unknown at first
    await handlers.register_user(registered(customer), world.customers, world.changes)
    second = await world.validate(request)  # the saga asked again: same answer, not a new decision
    assert len(world.validations.answers) == 1
    assert first == second
    assert second["rejection"] == "unknown_customer"
    assert len(bodies(world.uow, "user.customer.validated.v1")) == 2  # every request is answered


def _card_added(user_id: UUID) -> user.PaymentMethodAdded:
    return user.PaymentMethodAdded(
        user_id=user_id,
        payment_method=payment.PaymentMethod(
            payment.CardPaymentMethod(
                type="card",
                payment_method_id=uuid4(),
                card_number="4242424242424242",
                cvv="123",
                expiry_month=9,
                expiry_year=2029,
                holder_name="María López",
                brand=payment.Brand.VISA,
                last4="4242",
            )
        ),
        is_default=True,
        added_at=NOW,
    )


async def test_a_saved_card_keeps_only_its_masked_label_and_expiry(world: World) -> None:
    customer = uuid4()
    added = _card_added(customer)
    await handlers.add_payment_method(added, world.customers, world.changes)
    [saved] = world.customers.methods.values()
    assert (saved.kind, saved.label, saved.expiry_month, saved.expiry_year) == (
        "card",
        "Visa ···· 4242",
        9,
        2029,
    )
    assert "4242424242424242" not in repr(saved)
    assert not hasattr(saved, "cvv")
    assert not hasattr(saved, "card_number")
    assert world.changes.changed == [customer]


@pytest.mark.parametrize(
    ("method", "label"),
    [
        (
            payment.BizumPaymentMethod(type="bizum", payment_method_id=uuid4(), phone_number="+34600002233"),
            "Bizum ···· 2233",
        ),
        (
            payment.PayPalPaymentMethod(type="paypal", payment_method_id=uuid4(), email="lucia@example.es"),
            "PayPal l···@example.es",
        ),
        (
            payment.BankTransferPaymentMethod(
                type="transfer",
                payment_method_id=uuid4(),
                iban="ES9121000418450200051332",
                holder_name="Pedro",
            ),
            "Transferencia ···· 1332",
        ),
    ],
)
def test_other_methods_are_masked_too(method: Any, label: str) -> None:
    added = user.PaymentMethodAdded(
        user_id=uuid4(), payment_method=payment.PaymentMethod(method), is_default=False, added_at=NOW
    )
    saved = handlers.saved_method(added)
    assert (saved.label, saved.expiry_month) == (label, None)


async def test_olive_oil_interest_counts_once_per_tracking_id_and_announces_the_change(world: World) -> None:
    maria, tracking = uuid4(), uuid4()
    await world.behave(maria, tracking)
    await world.behave(maria, tracking)  # the same tracking id again: counted once
    assert bodies(world.uow, "user.segment.changed.v1") == []
    await world.behave(maria, query="cerámica de Úbeda")  # not about olive oil
    assert (await world.segmentations.get(maria)).olive_oil_interactions == 1
    await world.behave(maria)
    [changed] = bodies(world.uow, "user.segment.changed.v1")
    assert changed["previousSegments"] == []
    assert changed["currentSegments"] == ["olive-oil-lover"]
    assert changed["triggers"] == [{"rule": "olive-oil-lover: olive-oil interactions >= 2", "value": 2}]


async def test_loyalty_points_make_repeat_buyers_and_vips_once_per_order(world: World) -> None:
    juan, first_order = uuid4(), uuid4()
    await world.earn(juan, first_order, 120, "basic")
    await world.earn(juan, first_order, 120, "basic")  # the same order again: one order
    assert (await world.segmentations.get(juan)).confirmed_orders == 1
    await world.earn(juan, uuid4(), 2050, "gold")
    [changed] = bodies(world.uow, "user.segment.changed.v1")
    assert changed["currentSegments"] == ["repeat-buyer", "vip"]
    segmentation = await world.segmentations.get(juan)
    assert (segmentation.tier, segmentation.last_order_at) == ("gold", NOW)
    assert juan in world.changes.changed  # the chat profile shows the tier: its cache is dropped
