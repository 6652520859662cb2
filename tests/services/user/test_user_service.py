"""The user service as a process: the customer projection, customer validation, segmentation and the
payment and chat profiles over HTTP (200, 404, 401, 403), each receive operation idempotent."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from a4co_sdk._runtime.http_errors import Forbidden, NotFound
from a4co_sdk.clients.user import UserClient
from a4co_sdk.models import loyalty, payment, user
from a4co_sdk.publishers.gateway import GatewayPublishers
from a4co_sdk.publishers.loyalty import LoyaltyPublishers
from a4co_sdk.publishers.order import OrderPublishers
from a4co_sdk.publishers.user import UserPublishers
from services.platform.security import ServiceTokenIssuer
from tests.services.harness import Running, running
from tests.services.user.helpers import bodies, redeliver, send

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
async def service(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    async with running(Path(tmp_path_factory.mktemp("user")), "user") as started:
        yield started


def as_user(service: Running) -> UserPublishers:
    """What `a4co seed` does: publish the user service's own events with its cipher (pii and pci)."""
    return UserPublishers(service.js, cipher=service.cipher("user"))


def registered(user_id: UUID, name: str = "María López") -> user.UserRegistered:
    return user.UserRegistered(
        user_id=user_id,
        email=f"{user_id.hex[:8]}@example.es",
        full_name=name,
        phone="+34600001111",
        preferred_language=user.PreferredLanguage.ES,
        marketing_consent=True,
        registered_at=NOW,
    )


def card(
    user_id: UUID, *, number: str = "4242424242424242", year: int = 2030, default: bool = True
) -> user.PaymentMethodAdded:
    return user.PaymentMethodAdded(
        user_id=user_id,
        payment_method=payment.PaymentMethod(
            payment.CardPaymentMethod(
                type="card",
                payment_method_id=uuid4(),
                card_number=number,
                expiry_month=9,
                expiry_year=year,
                holder_name="María López",
                brand=payment.Brand.VISA,
                last4=number[-4:],
            )
        ),
        is_default=default,
        added_at=NOW,
    )


async def customer_with_card(service: Running) -> tuple[UUID, user.PaymentMethodAdded]:
    customer = uuid4()
    publishers = as_user(service)
    await publishers.user_registered.publish(registered(customer))
    added = card(customer)
    await publishers.payment_method_added.publish(added)
    await service.wait_for(lambda: _methods(service, customer, 1))
    return customer, added


async def _methods(service: Running, customer: UUID, count: int) -> user.PaymentProfile:
    async with service.client(UserClient, "user", as_service="payment") as client:
        profile = await client.get_payment_profile(user_id=customer)
    assert len(profile.payment_methods) == count
    return profile


async def validated(service: Running, validation_id: UUID, count: int = 1) -> list[dict[str, Any]]:
    answers = [
        a
        for a in await bodies(service.js, "USERS", "user.customer.validated.v1")
        if a["validationId"] == str(validation_id)
    ]
    assert len(answers) >= count
    return answers


# -- the projection and the payment profile ----------------------------------------------------------------


async def test_the_payment_profile_lists_masked_methods_with_the_default(service: Running) -> None:
    customer, added = await customer_with_card(service)
    publishers = as_user(service)
    bizum = user.PaymentMethodAdded(
        user_id=customer,
        payment_method=payment.PaymentMethod(
            payment.BizumPaymentMethod(type="bizum", payment_method_id=uuid4(), phone_number="+34600002233")
        ),
        is_default=False,
        added_at=NOW + timedelta(seconds=1),
    )
    expired = card(customer, number="5555555555554444", year=2024, default=False)
    await publishers.payment_method_added.publish(bizum)
    await publishers.payment_method_added.publish(expired)
    profile = await service.wait_for(lambda: _methods(service, customer, 3))
    assert profile.status is user.PaymentProfileStatus.ACTIVE
    assert profile.default_payment_method_id == added.payment_method.root.payment_method_id
    by_label = {m.label: m for m in profile.payment_methods}
    assert set(by_label) == {"Visa ···· 4242", "Bizum ···· 2233", "Visa ···· 4444"}
    assert by_label["Visa ···· 4444"].status is user.PaymentMethodStatus.EXPIRED
    assert by_label["Visa ···· 4242"].status is user.PaymentMethodStatus.ACTIVE
    assert profile.payment_methods[0].payment_method_id == profile.default_payment_method_id


async def test_a_repeated_payment_method_is_saved_once(service: Running) -> None:
    customer, added = await customer_with_card(service)
    publishers = as_user(service)
    await redeliver(service.js, publishers.payment_method_added.prepare(added))  # same event id
    await publishers.payment_method_added.publish(added)  # same method id, a new event id
    sentinel = card(customer, number="5555555555554444")  # processed after both, on the same consumer
    await publishers.payment_method_added.publish(sentinel)
    await service.wait_for(lambda: _methods(service, customer, 2))


async def test_a_blocked_customer_shows_blocked_at_once_despite_the_cache(service: Running) -> None:
    customer, _ = await customer_with_card(service)
    async with service.client(UserClient, "user", as_service="payment") as client:
        assert (await client.get_payment_profile(user_id=customer)).status is user.PaymentProfileStatus.ACTIVE
        await as_user(service).user_blocked.publish(
            user.UserBlocked(user_id=customer, reason="chargebacks", blocked_at=NOW)
        )

        async def blocked() -> None:
            profile = await client.get_payment_profile(user_id=customer)
            assert profile.status is user.PaymentProfileStatus.BLOCKED

        await service.wait_for(blocked)
    async with service.client(UserClient, "user", as_service="gateway") as client:
        assert (await client.get_chat_profile(user_id=customer)).is_blocked is True


# -- HTTP: 404, 401, 403 -----------------------------------------------------------------------------------


async def test_an_unknown_customer_is_404(service: Running) -> None:
    async with service.client(UserClient, "user", as_service="payment") as client:
        with pytest.raises(NotFound):
            await client.get_payment_profile(user_id=uuid4())
    async with service.client(UserClient, "user", as_service="chat") as client:
        with pytest.raises(NotFound):
            await client.get_chat_profile(user_id=uuid4())


async def test_a_call_without_a_token_is_401(service: Running) -> None:
    async with httpx.AsyncClient(base_url=service.market.url("user")) as http:
        for kind in ("payment-profile", "chat-profile"):
            answer = await http.get(f"/api/users/{uuid4()}/{kind}")
            assert answer.status_code == 401
            assert answer.headers["content-type"].startswith("application/problem+json")


async def test_a_malformed_user_id_is_400(service: Running) -> None:
    token = ServiceTokenIssuer("payment", service.keys).token_for("user")
    async with httpx.AsyncClient(base_url=service.market.url("user")) as http:
        answer = await http.get(
            "/api/users/not-a-uuid/payment-profile", headers={"Authorization": f"Bearer {token}"}
        )
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")


async def test_a_service_not_among_the_callers_is_403(service: Running) -> None:
    customer, _ = await customer_with_card(service)
    async with service.client(UserClient, "user", as_service="order") as client:
        with pytest.raises(Forbidden):
            await client.get_payment_profile(user_id=customer)
    async with service.client(UserClient, "user", as_service="payment") as client:
        with pytest.raises(Forbidden):
            await client.get_chat_profile(user_id=customer)  # payment may read payment profiles only


# -- customer validation -----------------------------------------------------------------------------------


async def test_validation_answers_valid_unknown_and_blocked(service: Running) -> None:
    saga = OrderPublishers(service.js, cipher=service.cipher("order"))
    valid, _ = await customer_with_card(service)
    blocked, _ = await customer_with_card(service)
    await as_user(service).user_blocked.publish(
        user.UserBlocked(user_id=blocked, reason="fraud", blocked_at=NOW)
    )
    await service.wait_for(lambda: _blocked(service, blocked))
    requests = {
        name: user.CustomerValidationRequested(
            validation_id=uuid4(), customer_id=who, order_id=uuid4(), requested_at=NOW
        )
        for name, who in (("valid", valid), ("unknown", uuid4()), ("blocked", blocked))
    }
    for request in requests.values():
        await saga.customer_validation_requested.publish(request)
    answers: dict[str, dict[str, Any]] = {}
    for name, request in requests.items():
        [answers[name]] = await service.wait_for(partial(validated, service, request.validation_id))
    assert (answers["valid"]["isValid"], answers["valid"]["segments"]) == (True, [])
    assert (answers["unknown"]["isValid"], answers["unknown"]["rejection"]) == (False, "unknown_customer")
    assert (answers["blocked"]["isValid"], answers["blocked"]["rejection"]) == (False, "blocked")


async def _blocked(service: Running, customer: UUID) -> None:
    async with service.client(UserClient, "user", as_service="payment") as client:
        assert (
            await client.get_payment_profile(user_id=customer)
        ).status is user.PaymentProfileStatus.BLOCKED


async def test_a_repeated_validation_is_answered_again_the_same_and_a_redelivery_not_at_all(
    service: Running,
) -> None:
    saga = OrderPublishers(service.js, cipher=service.cipher("order"))
    customer = uuid4()
    request = user.CustomerValidationRequested(
        validation_id=uuid4(), customer_id=customer, order_id=uuid4(), requested_at=NOW
    )
    prepared = saga.customer_validation_requested.prepare(request)
    await send(service.js, prepared)
    [first] = await service.wait_for(lambda: validated(service, request.validation_id))
    assert first["rejection"] == "unknown_customer"
    await as_user(service).user_registered.publish(registered(customer))  # registered afterwards
    await service.wait_for(lambda: _methods(service, customer, 0))
    await redeliver(service.js, prepared)  # the same message: the inbox drops it, no answer
    await saga.customer_validation_requested.publish(request)  # the saga asks again: answered again
    sentinel = user.CustomerValidationRequested(
        validation_id=uuid4(), customer_id=uuid4(), order_id=uuid4(), requested_at=NOW
    )
    await saga.customer_validation_requested.publish(sentinel)  # after both, on the same consumer
    await service.wait_for(lambda: validated(service, sentinel.validation_id))
    answers = await validated(service, request.validation_id)
    assert len(answers) == 2
    assert answers[1] == first  # the first decision again, not a new one (now the customer is known)


# -- segmentation ---------------------------------------------------------------------------------------


def behaviour(
    customer: UUID, query: str = "aceite picual", tracking_id: UUID | None = None
) -> user.UserBehaviorTracked:
    return user.UserBehaviorTracked(
        tracking_id=tracking_id or uuid4(),
        user_id=customer,
        action="search",
        context=user.BehaviorContext(page="/buscar", search_query=query),
        timestamp=NOW,
        session_id="sess-1",
    )


async def segment_changes(service: Running, customer: UUID, count: int) -> list[dict[str, Any]]:
    changes = [
        c
        for c in await bodies(service.js, "USERS", "user.segment.changed.v1")
        if c["userId"] == str(customer)
    ]
    assert len(changes) == count
    return changes


async def test_olive_oil_interest_makes_an_olive_oil_lover_and_repeats_count_once(service: Running) -> None:
    customer, _ = await customer_with_card(service)
    gateway = GatewayPublishers(service.js, cipher=service.cipher("gateway"))
    first = behaviour(customer)
    prepared = gateway.user_behavior_tracked.prepare(first)
    await send(service.js, prepared)
    await redeliver(service.js, prepared)  # the same message: the inbox drops it
    await gateway.user_behavior_tracked.publish(first)  # the same tracking id, a new event: counted once
    await gateway.user_behavior_tracked.publish(behaviour(customer, "cerámica de Úbeda"))  # not olive oil
    # A sentinel customer on the same consumer: once their change is out, the repeats above were handled.
    sentinel = uuid4()
    for _ in range(2):
        await gateway.user_behavior_tracked.publish(behaviour(sentinel))
    await service.wait_for(lambda: segment_changes(service, sentinel, 1))
    assert await segment_changes(service, customer, 0) == []
    await gateway.user_behavior_tracked.publish(behaviour(customer, "AOVE hojiblanca"))
    [change] = await service.wait_for(lambda: segment_changes(service, customer, 1))
    assert change["previousSegments"] == []
    assert change["currentSegments"] == ["olive-oil-lover"]
    assert change["triggers"] == [{"rule": "olive-oil-lover: olive-oil interactions >= 2", "value": 2}]
    async with service.client(UserClient, "user", as_service="chat") as client:
        chat = await client.get_chat_profile(user_id=customer)
    assert [s.root for s in chat.segments] == ["olive-oil-lover"]
    assert chat.display_name == "María"


def earned(customer: UUID, order_id: UUID, balance: int, tier: str) -> loyalty.LoyaltyPointsEarned:
    return loyalty.LoyaltyPointsEarned(
        customer_id=customer,
        order_id=order_id,
        points=100,
        balance=balance,
        tier=loyalty.LoyaltyTier(tier),
        earned_at=NOW,
    )


async def test_points_for_two_orders_and_gold_make_a_repeat_buyer_and_vip(service: Running) -> None:
    customer, _ = await customer_with_card(service)
    points = LoyaltyPublishers(service.js, cipher=service.cipher("loyalty"))
    first = earned(customer, uuid4(), 400, "basic")
    prepared = points.loyalty_points_earned.prepare(first)
    await send(service.js, prepared)
    await redeliver(service.js, prepared)  # the inbox drops it
    await points.loyalty_points_earned.publish(first)  # the same order, a new event: one order
    sentinel = uuid4()
    for balance in (100, 200):
        await points.loyalty_points_earned.publish(earned(sentinel, uuid4(), balance, "basic"))
    await service.wait_for(lambda: segment_changes(service, sentinel, 1))
    assert await segment_changes(service, customer, 0) == []  # still one confirmed order
    await points.loyalty_points_earned.publish(earned(customer, uuid4(), 2100, "gold"))
    [change] = await service.wait_for(lambda: segment_changes(service, customer, 1))
    assert change["currentSegments"] == ["repeat-buyer", "vip"]
    assert [t["rule"] for t in change["triggers"]] == [
        "repeat-buyer: confirmed orders >= 2",
        "vip: loyalty tier = gold",
    ]
    async with service.client(UserClient, "user", as_service="gateway") as client:
        chat = await client.get_chat_profile(user_id=customer)
    assert chat.loyalty_tier is loyalty.LoyaltyTier.GOLD
    assert chat.last_order_at == NOW
    assert [s.root for s in chat.segments] == ["repeat-buyer", "vip"]


async def test_health_readiness_and_metrics(service: Running) -> None:
    async with service.client(UserClient, "user") as client:
        assert (await client.get_health()).service == "user"
        assert (await client.get_readiness()).status.value == "ready"
        assert "a4co_messages_total" in await client.get_metrics()
