"""The vault, the order velocity and the validation use case on a real SQLite file."""

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import orjson
import pytest
from sqlalchemy import select

from a4co_sdk._runtime.subscribing import Delivery, Outcome, Verdict
from a4co_sdk.models import common, order, payment, user
from services.payment.adapters.validations import payment_method_validations, prune_answers
from services.payment.adapters.vault import SqlVault, payment_methods
from services.payment.adapters.velocity import prune_orders, velocity
from services.payment.application import methods
from services.payment.application.ports import ProfileSource, ProfileUnavailableError, VaultBehindError
from services.payment.domain.validation import Profile, ProfileMethod, ProfileProblem
from services.platform.database import Database
from services.platform.security import AesGcmFieldCipher
from services.platform.unit_of_work import SqlUnitOfWork
from tests.unit.payment.helpers import ORDER_PUBLISHERS, PAYMENT_PUBLISHERS, money, received

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def card_added(
    user_id: UUID, number: str = "4242424242424242", *, default: bool = True
) -> user.PaymentMethodAdded:
    return user.PaymentMethodAdded(
        user_id=user_id,
        payment_method=payment.PaymentMethod(
            root=payment.CardPaymentMethod(
                type="card",
                payment_method_id=uuid4(),
                card_number=number,
                cvv="123",
                expiry_month=12,
                expiry_year=2030,
                holder_name="María López",
                brand=payment.Brand.VISA,
                last4=number[-4:],
            )
        ),
        is_default=default,
        added_at=NOW,
    )


async def keep(db: Database, cipher: AesGcmFieldCipher, added: user.PaymentMethodAdded) -> None:
    async with SqlUnitOfWork(db) as uow:
        await methods.keep_method(added, uow, cipher, None)


def method_id(added: user.PaymentMethodAdded) -> UUID:
    return added.payment_method.root.payment_method_id


async def test_a_saved_card_is_kept_encrypted_at_rest_without_its_cvv(
    db: Database, cipher: AesGcmFieldCipher
) -> None:
    added = card_added(uuid4())
    await keep(db, cipher, added)
    async with db.transaction(read_only=True) as session:
        row = (await session.execute(select(payment_methods))).one()
    assert row.card_number.startswith("enc:v1:pci-")
    assert row.holder_name.startswith("enc:v1:pii-")
    assert (row.brand, row.last4, row.expiry_month, row.expiry_year) == ("visa", "4242", 12, 2030)
    assert "cvv" not in payment_methods.c
    assert b"4242424242424242" not in orjson.dumps([str(v) for v in row])
    stored = await SqlVault(db, cipher).method(method_id(added))
    assert stored is not None
    assert (stored.card_number, stored.holder_name, stored.owner_id) == (
        "4242424242424242",
        "María López",
        added.user_id,
    )


async def test_every_kind_of_method_round_trips_through_the_vault(
    db: Database, cipher: AesGcmFieldCipher
) -> None:
    owner = uuid4()
    kinds: list[
        payment.BizumPaymentMethod | payment.PayPalPaymentMethod | payment.BankTransferPaymentMethod
    ] = [
        payment.BizumPaymentMethod(type="bizum", payment_method_id=uuid4(), phone_number="+34600000003"),
        payment.PayPalPaymentMethod(type="paypal", payment_method_id=uuid4(), email="ana+decline@example.es"),
        payment.BankTransferPaymentMethod(
            type="transfer",
            payment_method_id=uuid4(),
            iban="ES9121000418450200051332",
            holder_name="Ana Ruiz",
        ),
    ]
    vault = SqlVault(db, cipher)
    for kind in kinds:
        added = user.PaymentMethodAdded(
            user_id=owner, payment_method=payment.PaymentMethod(root=kind), is_default=False, added_at=NOW
        )
        await keep(db, cipher, added)
    bizum, paypal, transfer = [await vault.method(k.payment_method_id) for k in kinds]
    assert bizum is not None
    assert bizum.phone_number == "+34600000003"
    assert paypal is not None
    assert paypal.email == "ana+decline@example.es"
    assert transfer is not None
    assert (transfer.iban, transfer.holder_name) == ("ES9121000418450200051332", "Ana Ruiz")


async def test_a_method_never_changes_owner(db: Database, cipher: AesGcmFieldCipher) -> None:
    added = card_added(uuid4())
    await keep(db, cipher, added)
    await keep(db, cipher, added.model_copy(update={"user_id": uuid4()}))
    stored = await SqlVault(db, cipher).method(method_id(added))
    assert stored is not None
    assert stored.owner_id == added.user_id


async def test_one_default_method_per_customer(db: Database, cipher: AesGcmFieldCipher) -> None:
    owner = uuid4()
    first, second = card_added(owner), card_added(owner, "5555555555554444")
    await keep(db, cipher, first)
    await keep(db, cipher, second)
    async with db.transaction(read_only=True) as session:
        defaults = dict(
            (await session.execute(select(payment_methods.c.last4, payment_methods.c.is_default))).all()
        )
    assert defaults == {"4242": False, "4444": True}


def created(customer: UUID, at: datetime) -> order.OrderCreated:
    return order.OrderCreated.model_validate(
        {
            "orderId": str(uuid4()),
            "customerId": str(customer),
            "items": [
                {"productId": str(uuid4()), "quantity": 1, "unitPrice": {"amount": "9.80", "currency": "EUR"}}
            ],
            "totalAmount": {"amount": "13.75", "currency": "EUR"},
            "deliveryAddress": {
                "recipientName": "María",
                "street": "Calle Real 12",
                "postalCode": "23440",
                "city": "Baeza",
                "province": "Jaén",
                "country": "ES",
            },
            "estimatedDelivery": {"start": at.isoformat(), "end": (at + timedelta(days=3)).isoformat()},
            "createdAt": at.isoformat(),
        }
    )


class Profiles(ProfileSource):
    def __init__(self, answers: dict[UUID, Profile | ProfileProblem]) -> None:
        self.answers = answers
        self.asked: list[UUID] = []

    async def profile(self, customer_id: UUID) -> Profile | ProfileProblem:
        self.asked.append(customer_id)
        return self.answers.get(customer_id, ProfileProblem.UNKNOWN_CUSTOMER)


def validation(
    added: user.PaymentMethodAdded, amount: str = "66.35"
) -> payment.PaymentMethodValidationRequested:
    return payment.PaymentMethodValidationRequested(
        validation_id=uuid4(),
        order_id=uuid4(),
        customer_id=added.user_id,
        payment_method_id=method_id(added),
        amount=money(amount),
        requested_at=NOW,
    )


def listing(added: user.PaymentMethodAdded) -> Profile:
    mid = method_id(added)
    return Profile(blocked=False, methods={mid: ProfileMethod(mid, "card", expired=False)})


async def validate(
    db: Database,
    cipher: AesGcmFieldCipher,
    request: payment.PaymentMethodValidationRequested,
    profile: Profile | ProfileProblem,
    *,
    attempt: int = 1,
) -> list[dict[str, object]]:
    async with SqlUnitOfWork(db) as uow:
        await methods.validate_method(
            request,
            received(ORDER_PUBLISHERS.payment_method_validation_requested, request, attempt=attempt),
            uow,
            publishers=PAYMENT_PUBLISHERS,
            cipher=cipher,
            profile=profile,
            now=NOW,
        )
        return [orjson.loads(m.body) for m in uow._outgoing]  # what commits to the outbox with the answer


async def test_a_valid_card_is_answered_with_its_details_and_the_answer_is_kept(
    db: Database, cipher: AesGcmFieldCipher
) -> None:
    added = card_added(uuid4())
    await keep(db, cipher, added)
    request = validation(added)
    [answer] = await validate(db, cipher, request, listing(added))
    assert answer["isValid"] is True
    assert answer["type"] == "card"
    assert answer["validationDetails"] == {
        "availableCredit": {"amount": "3000.00", "currency": "EUR"},
        "requires3DS": True,
        "riskScore": 10.0,
    }
    # asked again, even once the profile says otherwise, the first answer is given again
    [again] = await validate(db, cipher, request, ProfileProblem.UNAVAILABLE)
    assert again == answer
    async with db.transaction(read_only=True) as session:
        assert len((await session.execute(select(payment_method_validations))).all()) == 1


async def test_an_unreachable_user_service_is_retried_then_makes_the_method_invalid(
    db: Database, cipher: AesGcmFieldCipher
) -> None:
    added = card_added(uuid4())
    await keep(db, cipher, added)
    request = validation(added)
    for attempt in range(1, methods.PROFILE_ATTEMPTS):
        with pytest.raises(ProfileUnavailableError):
            await validate(db, cipher, request, ProfileProblem.UNAVAILABLE, attempt=attempt)
    [answer] = await validate(
        db, cipher, request, ProfileProblem.UNAVAILABLE, attempt=methods.PROFILE_ATTEMPTS
    )
    assert (answer["isValid"], answer["rejection"]) == (False, "profile_unavailable")


async def test_a_profile_back_on_the_retry_gives_a_real_answer(
    db: Database, cipher: AesGcmFieldCipher
) -> None:
    added = card_added(uuid4())
    await keep(db, cipher, added)
    request = validation(added)
    with pytest.raises(ProfileUnavailableError):
        await validate(db, cipher, request, ProfileProblem.UNAVAILABLE, attempt=1)
    [answer] = await validate(db, cipher, request, listing(added), attempt=2)
    assert answer["isValid"] is True


async def test_recent_orders_of_the_customer_raise_the_risk(db: Database, cipher: AesGcmFieldCipher) -> None:
    added = card_added(uuid4())
    await keep(db, cipher, added)
    for minutes in range(7):  # seven orders in the last hour
        async with SqlUnitOfWork(db) as uow:
            await methods.count_order(created(added.user_id, NOW - timedelta(minutes=minutes)), uow)
    async with SqlUnitOfWork(db) as uow:  # an order seen twice counts once
        await methods.count_order(created(added.user_id, NOW - timedelta(days=3)), uow)
    [answer] = await validate(db, cipher, validation(added), listing(added))
    assert (answer["isValid"], answer["rejection"]) == (False, "risk_too_high")
    details = answer["validationDetails"]
    assert isinstance(details, dict)
    assert details["riskScore"] == 95.0


async def test_a_method_in_the_profile_but_not_yet_in_the_vault_is_tried_again_once(
    db: Database, cipher: AesGcmFieldCipher
) -> None:
    added = card_added(uuid4())  # not kept: the vault has not heard of it yet
    request = validation(added)
    with pytest.raises(VaultBehindError):
        await validate(db, cipher, request, listing(added), attempt=1)
    [answer] = await validate(db, cipher, request, listing(added), attempt=2)
    assert (answer["isValid"], answer["rejection"]) == (False, "unknown_method")


async def test_profiles_are_fetched_before_the_batch_transaction_once_per_customer(
    db: Database, cipher: AesGcmFieldCipher
) -> None:
    customer = uuid4()
    profile = Profile(blocked=True)
    source = Profiles({customer: profile})
    seen: list[Profile | ProfileProblem] = []

    async def batch(deliveries: Sequence[Delivery]) -> list[Outcome]:
        seen.extend(methods.prefetched_profile(customer) for d in deliveries if d.body != b"not json")
        return [Outcome(Verdict.ACK)] * len(deliveries)

    body = orjson.dumps({"customerId": str(customer)})
    deliveries = [Delivery("payment.method.validation.requested.v1", body, {}) for _ in range(3)]
    deliveries.append(Delivery("payment.method.validation.requested.v1", b"not json", {}))
    outcomes = await methods.prefetching_profiles(batch, source)(deliveries)
    assert len(outcomes) == 4
    assert source.asked == [customer]
    assert seen == [profile] * 3
    assert methods.prefetched_profile(customer) is ProfileProblem.UNAVAILABLE  # outside the batch: none


async def test_a_backlog_of_customers_is_fetched_a_few_at_a_time() -> None:
    in_flight = most = 0

    class Slow(ProfileSource):
        async def profile(self, customer_id: UUID) -> Profile | ProfileProblem:
            nonlocal in_flight, most
            in_flight += 1
            most = max(most, in_flight)
            await asyncio.sleep(0.001)
            in_flight -= 1
            return Profile(blocked=False)

    async def batch(deliveries: Sequence[Delivery]) -> list[Outcome]:
        return [Outcome(Verdict.ACK)] * len(deliveries)

    deliveries = [
        Delivery("payment.method.validation.requested.v1", orjson.dumps({"customerId": str(uuid4())}), {})
        for _ in range(50)
    ]
    assert len(await methods.prefetching_profiles(batch, Slow())(deliveries)) == 50
    assert most == methods.PROFILES_IN_FLIGHT


def test_money_helper_is_in_euros() -> None:
    assert money("1.00") == common.Money(amount=Decimal("1.00"), currency="EUR")


async def test_old_order_counts_and_old_answers_are_pruned(db: Database, cipher: AesGcmFieldCipher) -> None:
    customer = uuid4()
    for age in (timedelta(days=8), timedelta(days=1)):
        async with SqlUnitOfWork(db) as uow:
            await methods.count_order(created(customer, NOW - age), uow)
    added = card_added(customer)
    await keep(db, cipher, added)
    await validate(db, cipher, validation(added), listing(added))
    assert await prune_orders(db, NOW) == 1  # older than a week
    assert await prune_answers(db, NOW) == 0
    assert await prune_answers(db, NOW + timedelta(days=31)) == 1
    async with db.transaction(read_only=True) as session:
        assert (await velocity(session, customer, NOW)).last_day == 1
