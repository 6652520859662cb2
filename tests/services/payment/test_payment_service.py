"""The payment service as a process, with the user service beside it for the payment profile.

The tests publish what the user service and the order saga publish, and read what payment answers on
the PAYMENTS stream and stores in its event store (ES_PAYMENTS).
"""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from a4co_sdk._runtime.publishing import NATS_MSG_ID
from a4co_sdk.clients.payment import PaymentClient
from a4co_sdk.clients.user import UserClient
from a4co_sdk.models import payment, user
from tests.services.harness import Running, running
from tests.services.payment.support import Market

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

GOOD, DECLINED, EXPIRED, RISKY, SILENT = (
    "4242424242424242",
    "4000000000000002",
    "4000000000000069",
    "4100000000000019",
    "4000000000000259",
)


@pytest.fixture(scope="module")
async def service(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    async with running(Path(tmp_path_factory.mktemp("payment")), "user", "payment") as started:
        yield started


@pytest.fixture
def market(service: Running) -> Market:
    return Market(service)


async def saved(market: Market, *cards: str) -> tuple[UUID, list[UUID]]:
    """A registered customer whose cards the user service's profile already lists."""
    customer_id, methods = await market.customer(*cards)

    async def listed() -> None:
        async with market.running.client(UserClient, "user", as_service="payment") as client:
            profile = await client.get_payment_profile(user_id=customer_id)
        assert {m.payment_method_id for m in profile.payment_methods} == set(methods)

    await market.running.wait_for(listed)
    return customer_id, methods


async def test_a_saved_card_is_validated_with_credit_3ds_and_risk(market: Market) -> None:
    customer_id, [card] = await saved(market, GOOD)
    validation_id = await market.validate(customer_id, card)
    answer = await market.one("payment.method.validated.v1", validationId=str(validation_id))
    assert (answer["isValid"], answer["type"], answer["paymentMethodId"]) == (True, "card", str(card))
    assert answer["validationDetails"] == {
        "availableCredit": {"amount": "3000.00", "currency": "EUR"},
        "requires3DS": True,
        "riskScore": 10.0,
    }


async def test_the_cards_and_methods_validation_refuses(market: Market) -> None:
    customer_id, [expired, risky] = await saved(market, EXPIRED, RISKY)
    someone_else, [theirs] = await saved(market, GOOD)
    asked = {
        "expired": await market.validate(customer_id, expired),
        "risk_too_high": await market.validate(customer_id, risky),
        "unknown_method": await market.validate(customer_id, uuid4()),
        "not_owned_by_customer": await market.validate(customer_id, theirs),
    }
    for rejection, validation_id in asked.items():
        answer = await market.one("payment.method.validated.v1", validationId=str(validation_id))
        assert (answer["isValid"], answer.get("rejection")) == (False, rejection)
    risky_answer = await market.one("payment.method.validated.v1", validationId=str(asked["risk_too_high"]))
    assert risky_answer["validationDetails"]["riskScore"] == 95.0
    assert someone_else != customer_id


async def test_a_blocked_customer_cannot_pay(market: Market) -> None:
    customer_id, [card] = await saved(market, GOOD)
    await market.users.user_blocked.publish(
        user.UserBlocked(user_id=customer_id, reason="chargebacks", blocked_at=datetime.now(UTC))
    )

    async def blocked() -> None:
        async with market.running.client(UserClient, "user", as_service="payment") as client:
            profile = await client.get_payment_profile(user_id=customer_id)
        assert profile.status is user.PaymentProfileStatus.BLOCKED

    await market.running.wait_for(blocked)
    validation_id = await market.validate(customer_id, card)
    answer = await market.one("payment.method.validated.v1", validationId=str(validation_id))
    assert (answer["isValid"], answer["rejection"]) == (False, "blocked")


async def test_a_payment_is_captured_and_split_and_the_card_travels_encrypted(market: Market) -> None:
    customer_id, [card] = await saved(market, GOOD)
    request = market.payment_request(customer_id, card)
    await market.request_payment(request)
    succeeded = await market.one("payment.succeeded.v1", paymentId=str(request.payment_id))
    assert succeeded["amount"] == {"amount": "66.35", "currency": "EUR"}
    split = await market.one("payment.split.created.v1", paymentId=str(request.payment_id))
    assert sum(Decimal(s["amount"]["amount"]) for s in split["splits"]) == Decimal("66.35")
    assert [s["recipientType"] for s in split["splits"]] == ["artisan", "artisan", "platform", "delivery"]
    started = await market.one("payment.processing.started.v1", paymentId=str(request.payment_id))
    method = started["paymentMethod"]
    assert method["cardNumber"].startswith("enc:v1:pci-")
    assert "cvv" not in method
    clear = market.running.cipher("payment").decrypt(
        method["cardNumber"],
        path=("paymentMethod", "cardNumber"),
        classification="pci",
        message="PaymentProcessingStarted",
    )
    assert clear == GOOD
    assert await market.history(request.payment_id) == [
        "PaymentRequested",
        "ProcessingStarted",
        "PaymentCaptured",
        "PaymentSplit",
    ]


async def test_a_declined_card_and_a_bizum_without_funds_fail_with_their_reasons(market: Market) -> None:
    customer_id, [declined] = await saved(market, DECLINED)
    bizum = uuid4()
    await market.add_method(
        customer_id,
        payment.BizumPaymentMethod(type="bizum", payment_method_id=bizum, phone_number="+34600000003"),
    )
    first = market.payment_request(customer_id, declined)
    second = market.payment_request(customer_id, bizum)
    await market.request_payment(first)
    await market.running.wait_for(lambda: market.one("payment.failed.v1", paymentId=str(first.payment_id)))
    await market.request_payment(second)
    assert (await market.one("payment.failed.v1", paymentId=str(first.payment_id)))["reason"] == "declined"
    failed = await market.one("payment.failed.v1", paymentId=str(second.payment_id))
    assert failed["reason"] == "insufficient_funds"
    assert await market.count("payment.succeeded.v1", paymentId=str(second.payment_id)) == 0


async def test_refunds_of_a_capture_of_a_payment_in_doubt_and_of_an_unknown_payment(market: Market) -> None:
    customer_id, [good, silent] = await saved(market, GOOD, SILENT)
    captured, in_doubt = (
        market.payment_request(customer_id, good),
        market.payment_request(customer_id, silent),
    )
    await market.request_payment(captured)
    await market.request_payment(in_doubt)
    await market.one("payment.succeeded.v1", paymentId=str(captured.payment_id))
    await market.one("payment.processing.started.v1", paymentId=str(in_doubt.payment_id))
    unknown = market.payment_request(customer_id, good)
    refunds = {
        "refunded": await market.refund(captured),
        "voided": await market.refund(in_doubt),
        "nothing_to_refund": await market.refund(unknown),
    }
    for outcome, refund_id in refunds.items():
        answer = await market.one("payment.refunded.v1", refundId=str(refund_id))
        assert answer["outcome"] == outcome
    refunded = await market.one("payment.refunded.v1", refundId=str(refunds["refunded"]))
    assert refunded["amount"] == {"amount": "66.35", "currency": "EUR"}
    # the order never got its payment requested in time: the late request is refused, nothing is charged
    await market.request_payment(unknown)
    assert (await market.one("payment.failed.v1", paymentId=str(unknown.payment_id)))["reason"] == "declined"
    assert await market.count("payment.processing.started.v1", paymentId=str(unknown.payment_id)) == 0


async def test_a_repeated_request_is_answered_again_and_charged_once(market: Market) -> None:
    customer_id, [card] = await saved(market, GOOD)
    request = market.payment_request(customer_id, card)
    await market.request_payment(request)
    first = await market.one("payment.succeeded.v1", paymentId=str(request.payment_id))
    await market.request_payment(request)  # the saga asks again: a new message id, the same payment id

    async def answered_twice() -> list[dict[str, str]]:
        answers = await market.sent("payment.succeeded.v1", paymentId=str(request.payment_id))
        assert len(answers) == 2
        return answers

    answers = await market.running.wait_for(answered_twice)
    assert {a["processorReference"] for a in answers} == {first["processorReference"]}
    assert await market.count("payment.split.created.v1", paymentId=str(request.payment_id)) == 1
    assert (await market.history(request.payment_id)).count("PaymentCaptured") == 1


async def test_a_replayed_message_with_the_same_event_id_is_not_handled_twice(market: Market) -> None:
    customer_id, [card] = await saved(market, GOOD)
    request = market.payment_request(customer_id, card)
    prepared = market.orders.payment_requested.prepare(request)
    await market.js.publish(prepared.subject, prepared.body, headers=prepared.headers, stream=prepared.stream)
    await market.one("payment.succeeded.v1", paymentId=str(request.payment_id))
    # A dead letter replay: the same event id under a new Nats-Msg-Id, so JetStream stores it again.
    replay = {**prepared.headers, NATS_MSG_ID: str(uuid4())}
    await market.js.publish(prepared.subject, prepared.body, headers=replay, stream=prepared.stream)
    copies = [
        h
        for h, _ in await market.messages("payment.requested.v1")
        if h["event-id"] == str(prepared.message_id)
    ]
    assert len(copies) == 2  # the stream holds both: only the service can tell they are one message
    await market.running.wait_for(lambda: market.caught_up("PAYMENTS", "payment-on-payment-requested"))
    assert (
        await market.commits(request.payment_id) == 2
    )  # the request and the capture, nothing for the replay
    assert await market.count("payment.succeeded.v1", paymentId=str(request.payment_id)) == 1


async def test_an_order_made_cheaper_gets_the_difference_back(market: Market) -> None:
    customer_id, [card] = await saved(market, GOOD)
    request = market.payment_request(customer_id, card)
    await market.request_payment(request)
    await market.one("payment.succeeded.v1", paymentId=str(request.payment_id))

    async def in_the_view() -> None:  # the view that finds an order's payment follows the event store
        await market.modify(request, "50.00")
        await market.one("payment.refunded.v1", timeout=2.0, paymentId=str(request.payment_id))

    await market.running.wait_for(in_the_view, timeout=15)
    [refund] = await market.sent("payment.refunded.v1", paymentId=str(request.payment_id))
    assert (refund["outcome"], refund["amount"]["amount"]) == ("refunded", "16.35")


async def test_health_readiness_and_metrics_by_outcome(market: Market) -> None:
    async with market.running.client(PaymentClient, "payment") as client:
        health = await client.get_health()
        ready = await client.get_readiness()
        metrics = await client.get_metrics()
    assert health.service == "payment"
    assert ready.status.value == "ready"
    assert 'a4co_payments_total{method_type="card",outcome="captured",reason=""}' in metrics
    assert 'a4co_payment_method_validations_total{method_type="card",result="valid"}' in metrics
    assert "a4co_payment_refunds_total" in metrics


async def test_a_validation_waits_for_a_user_service_that_is_down_and_answers_once_it_is_back(
    market: Market,
) -> None:
    customer_id, [card] = await saved(market, GOOD)
    user = market.running.market.process("user")
    user.kill()
    user.wait(10)
    try:
        validation_id = await market.validate(customer_id, card)
        await asyncio.sleep(2.0)  # delivered, failed to get the profile, waiting for its redelivery
        assert await market.count("payment.method.validated.v1", validationId=str(validation_id)) == 0
    finally:
        await asyncio.to_thread(market.running.market.restart, "user")
    # Redelivered after the consumer's first backoff (5 s), now with a profile: a real answer. On a busy
    # machine the restart can outlast that first backoff; the last attempt comes 15 s after it.
    answer = await market.one("payment.method.validated.v1", timeout=45.0, validationId=str(validation_id))
    assert answer["isValid"] is True
    assert "rejection" not in answer
