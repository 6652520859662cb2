"""The user-service profile adapter (timeout, breaker, answers) and the payments view's SQL side."""

import asyncio
from datetime import timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import httpx

from a4co_sdk.clients.user import UserClient
from a4co_sdk.models import user
from services.payment.adapters.payments_view import SqlPaymentsIndex, summary, write_summaries
from services.payment.adapters.profiles import PROFILE_TIMEOUT, UserProfiles
from services.payment.domain.payment import Payment
from services.payment.domain.processor import ProcessorError
from services.payment.domain.validation import Profile, ProfileMethod, ProfileProblem
from services.platform.circuit_breaker import CircuitState
from services.platform.database import Database
from tests.unit.payment.helpers import POLICY, T0

CUSTOMER, METHOD = uuid4(), uuid4()
PROFILE = {
    "userId": str(CUSTOMER),
    "status": "active",
    "defaultPaymentMethodId": str(METHOD),
    "paymentMethods": [
        {"paymentMethodId": str(METHOD), "type": "card", "label": "Visa ···· 4242", "status": "expired"}
    ],
    "updatedAt": "2026-11-20T10:00:00+01:00",
}


def profiles(handler: httpx.MockTransport) -> UserProfiles:
    client = UserClient("http://user", http=httpx.AsyncClient(transport=handler))
    return UserProfiles(client)


def answering(status: int, body: object = None, *, delay: float = 0.0) -> httpx.MockTransport:
    async def handle(request: httpx.Request) -> httpx.Response:
        assert request.url.path == f"/api/users/{CUSTOMER}/payment-profile"
        if delay:
            await asyncio.sleep(delay)
        if status >= 400:
            problem = {"type": "about:blank", "title": "x", "status": status}
            return httpx.Response(status, json=problem, headers={"content-type": "application/problem+json"})
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handle)


async def test_a_profile_is_read_with_its_methods() -> None:
    answer = await profiles(answering(200, PROFILE)).profile(CUSTOMER)
    assert answer == Profile(blocked=False, methods={METHOD: ProfileMethod(METHOD, "card", expired=True)})


async def test_a_blocked_customer_and_an_unknown_one() -> None:
    assert await profiles(answering(200, {**PROFILE, "status": "blocked"})).profile(CUSTOMER) == Profile(
        blocked=True, methods={METHOD: ProfileMethod(METHOD, "card", expired=True)}
    )
    assert await profiles(answering(404)).profile(CUSTOMER) is ProfileProblem.UNKNOWN_CUSTOMER


async def test_a_slow_user_service_is_given_up_on_after_the_timeout() -> None:
    source = profiles(answering(200, PROFILE, delay=5.0))
    started = asyncio.get_running_loop().time()
    assert await source.profile(CUSTOMER) is ProfileProblem.UNAVAILABLE
    assert asyncio.get_running_loop().time() - started < PROFILE_TIMEOUT + 1.0  # not the 5 s answer


async def test_repeated_failures_open_the_circuit_and_later_calls_fail_fast() -> None:
    calls = 0

    async def failing(_: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(503, json={"type": "about:blank", "title": "down", "status": 503})

    source = profiles(httpx.MockTransport(failing))
    for _ in range(5):
        assert await source.profile(CUSTOMER) is ProfileProblem.UNAVAILABLE
    assert source.breaker.state is CircuitState.OPEN
    assert await source.profile(CUSTOMER) is ProfileProblem.UNAVAILABLE
    assert calls == 5  # the sixth was not attempted


async def test_a_refused_token_is_unavailable_but_does_not_trip_the_breaker() -> None:
    source = profiles(answering(401))
    for _ in range(6):
        assert await source.profile(CUSTOMER) is ProfileProblem.UNAVAILABLE
    assert source.breaker.state is CircuitState.CLOSED


def processing(order_id: UUID) -> Payment:
    payment = Payment(uuid4())
    payment.request(
        order_id=order_id,
        customer_id=CUSTOMER,
        payment_method_id=METHOD,
        amount=Decimal("10.00"),
        currency="EUR",
        lines=[(uuid4(), Decimal("10.00"))],
        delivery_cost=Decimal("0.00"),
        correlation_id=uuid4(),
        now=T0,
    )
    payment.start_processing(method_type="card", method_label="visa", policy=POLICY, now=T0)
    payment.sequence = 3
    return payment


async def test_the_view_lists_the_payments_due_and_finds_an_orders_payment(db: Database) -> None:
    order_id = uuid4()
    waiting = processing(order_id)
    errored = processing(uuid4())
    errored.record_outcome(1, ProcessorError("down"), policy=POLICY, now=T0)
    await write_summaries(db, [summary(waiting), summary(errored)])
    index = SqlPaymentsIndex(db)
    assert await index.due(T0 + timedelta(seconds=2), 10) == [errored.payment_id]  # retry due after 1 s
    assert await index.due(T0 + timedelta(seconds=6), 10) == [errored.payment_id, waiting.payment_id]
    assert await index.payment_of_order(order_id) == waiting.payment_id
    assert await index.payment_of_order(uuid4()) is None


async def test_a_row_of_the_view_only_moves_forward(db: Database) -> None:
    payment = processing(uuid4())
    newer = summary(payment) | {"status": "captured", "sequence": 9}
    await write_summaries(db, [newer])
    await write_summaries(db, [summary(payment)])  # an old commit redelivered: sequence 3 < 9
    index = SqlPaymentsIndex(db)
    assert await index.due(T0 + timedelta(hours=1), 10) == []


def test_the_profile_used_here_is_what_the_contract_describes() -> None:
    assert user.PaymentProfile.model_validate(PROFILE).user_id == CUSTOMER
