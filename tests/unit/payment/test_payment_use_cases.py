"""The payment use cases on an in-memory event store: what is stored, what is sent, exactly once."""

import asyncio
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from a4co_sdk import Received
from a4co_sdk.models import order, payment
from services.payment.application.payments import modification_refund_id
from services.payment.application.ports import VaultBehindError
from services.platform.eventstore import InMemoryStore
from tests.unit.payment.helpers import (
    ORDER_PUBLISHERS,
    T0,
    Clock,
    FakeVault,
    HeldProcessor,
    SimulatedWithLog,
    card,
    money,
    payment_request,
    received,
    sent,
    store_of,
    subjects,
    use_cases,
)

CUSTOMER = uuid4()
GOOD = card("4242424242424242", CUSTOMER)
DECLINED = card("4000000000000002", CUSTOMER)
ERRORS_TWICE = card("4000000000000341", CUSTOMER)
SILENT = card("4000000000000259", CUSTOMER)
VAULT = FakeVault(GOOD, DECLINED, ERRORS_TWICE, SILENT)


def ask(request: payment.PaymentRequested, message_id: UUID | None = None, attempt: int = 1) -> Received[Any]:
    return received(ORDER_PUBLISHERS.payment_requested, request, message_id=message_id, attempt=attempt)


def refund_request(
    request: payment.PaymentRequested, amount: str | None = None
) -> payment.PaymentRefundRequested:
    return payment.PaymentRefundRequested(
        refund_id=uuid4(),
        payment_id=request.payment_id,
        order_id=request.order_id,
        amount=money(amount) if amount else None,
        reason="order cancelled: payment_timeout",
        requested_at=T0,
    )


async def test_a_good_card_is_captured_and_split_in_two_appends_with_their_messages() -> None:
    cases = use_cases(VAULT)
    request = payment_request(GOOD)
    await cases.request_payment(request, ask(request))
    store = store_of(cases)
    assert subjects(store.outbox()) == [
        "payment.processing.started.v1",
        "payment.succeeded.v1",
        "payment.split.created.v1",
    ]
    assert len(list(store.commits())) == 2  # the charge is recorded before the processor is asked
    started, succeeded, split = sent(store)
    assert started["paymentMethod"]["cardNumber"] == "4242424242424242"  # the publisher encrypts it
    assert "cvv" not in started["paymentMethod"]
    assert started["processorId"] == "a4co-sim-card"
    assert succeeded["amount"] == {"amount": "66.35", "currency": "EUR"}
    assert sum(Decimal(s["amount"]["amount"]) for s in split["splits"]) == Decimal("66.35")


async def test_answers_belong_to_the_saga_flow_and_are_caused_by_the_request() -> None:
    cases = use_cases(VAULT)
    request = payment_request(GOOD)
    asked = ask(request)
    await cases.request_payment(request, asked)
    for message in store_of(cases).outbox():
        assert message.headers["correlation-id"] == str(asked.envelope.correlation_id)
    started = store_of(cases).outbox()[0]
    assert started.headers["causation-id"] == str(asked.envelope.message_id)


async def test_a_declined_card_fails_the_payment() -> None:
    cases = use_cases(VAULT)
    request = payment_request(DECLINED)
    await cases.request_payment(request, ask(request))
    store = store_of(cases)
    assert subjects(store.outbox()) == ["payment.processing.started.v1", "payment.failed.v1"]
    assert sent(store, "payment.failed.v1")[0]["reason"] == "declined"


async def test_a_method_the_vault_does_not_know_fails_without_reaching_the_processor() -> None:
    processor = SimulatedWithLog()
    cases = use_cases(FakeVault(), processor)
    request = payment_request(GOOD)
    with pytest.raises(VaultBehindError):  # the vault may be a moment behind: retried once
        await cases.request_payment(request, ask(request))
    assert list(store_of(cases).commits()) == []
    await cases.request_payment(request, ask(request, attempt=2))
    store = store_of(cases)
    assert subjects(store.outbox()) == ["payment.failed.v1"]
    assert processor.calls == []


async def test_a_redelivered_request_is_recognised_and_changes_nothing() -> None:
    processor = SimulatedWithLog()
    cases = use_cases(VAULT, processor)
    request = payment_request(GOOD)
    message_id = uuid4()
    await cases.request_payment(request, ask(request, message_id=message_id))
    await cases.request_payment(request, ask(request, message_id=message_id))
    store = store_of(cases)
    assert len(store.outbox()) == 3
    assert len(processor.calls) == 1


async def test_a_request_asked_again_is_answered_with_the_current_outcome_and_charged_once() -> None:
    processor = SimulatedWithLog()
    cases = use_cases(VAULT, processor)
    request = payment_request(GOOD)
    await cases.request_payment(request, ask(request))
    await cases.request_payment(request, ask(request))  # a new message id: the saga asked again
    store = store_of(cases)
    assert subjects(store.outbox())[3:] == ["payment.succeeded.v1"]
    first, again = sent(store, "payment.succeeded.v1")
    assert first["processorReference"] == again["processorReference"]
    assert len(processor.calls) == 1
    assert len(sent(store, "payment.split.created.v1")) == 1


async def test_a_failed_payment_asked_again_is_answered_failed_again() -> None:
    cases = use_cases(VAULT)
    request = payment_request(DECLINED)
    await cases.request_payment(request, ask(request))
    await cases.request_payment(request, ask(request))
    store = store_of(cases)
    assert [m["reason"] for m in sent(store, "payment.failed.v1")] == ["declined", "declined"]


async def test_processor_errors_are_retried_by_the_timer_with_backoff_then_captured() -> None:
    clock = Clock()
    processor = SimulatedWithLog()
    cases = use_cases(VAULT, processor, clock=clock)
    request = payment_request(ERRORS_TWICE)
    await cases.request_payment(request, ask(request))
    clock.advance(0.5)
    assert await cases.drive_due() == 0  # the first retry is due after 1 s
    clock.advance(0.5)
    assert await cases.drive_due() == 1  # attempt 2: another error, next try 2 s later
    clock.advance(1.0)
    assert await cases.drive_due() == 0
    clock.advance(1.0)
    assert await cases.drive_due() == 1
    store = store_of(cases)
    assert [attempt for _, attempt in processor.calls] == [1, 2, 3]
    assert subjects(store.outbox()) == [
        "payment.processing.started.v1",
        "payment.succeeded.v1",
        "payment.split.created.v1",
    ]
    clock.advance(60)
    assert await cases.drive_due() == 0


async def test_a_payment_whose_processor_never_answers_stays_processing_and_is_asked_less_and_less() -> None:
    clock = Clock()
    processor = SimulatedWithLog()
    cases = use_cases(VAULT, processor, clock=clock)
    request = payment_request(SILENT)
    await cases.request_payment(request, ask(request))
    for _ in range(40):  # 10 s in steps of 0.25 s
        clock.advance(0.25)
        await cases.drive_due()
    # at once (t=0), at the answer deadline (t=5), then after pauses that double: t=7, t=11 ...
    assert len(processor.calls) == 3
    current = await cases.repository.get(request.payment_id)
    assert current.status == "processing"
    store = store_of(cases)
    assert subjects(store.outbox()) == ["payment.processing.started.v1"]


async def test_a_refund_while_processing_voids_the_payment_and_stops_the_processor_calls() -> None:
    clock = Clock()
    processor = SimulatedWithLog()
    cases = use_cases(VAULT, processor, clock=clock)
    request = payment_request(SILENT)
    await cases.request_payment(request, ask(request))
    clock.advance(30)
    refund = refund_request(request)
    await cases.refund(refund, received(ORDER_PUBLISHERS.payment_refund_requested, refund))
    store = store_of(cases)
    answer = sent(store, "payment.refunded.v1")[0]
    assert (answer["outcome"], answer["amount"]["amount"]) == ("voided", "66.35")
    calls = len(processor.calls)
    clock.advance(60)
    assert await cases.drive_due() == 0
    assert len(processor.calls) == calls
    assert cases.quiet == {}  # nothing left behind for a payment no longer processing


async def test_a_capture_racing_a_void_in_another_process_is_refunded_at_once() -> None:
    """Process A asked the processor; process B voids the payment meanwhile; then the capture arrives."""
    store = InMemoryStore()
    held = HeldProcessor()
    process_a = use_cases(VAULT, held, store=store)
    process_b = use_cases(VAULT, store=store)
    request = payment_request(GOOD)
    charging = asyncio.create_task(process_a.request_payment(request, ask(request)))
    await held.asked.wait()
    refund = refund_request(request)
    await process_b.refund(refund, received(ORDER_PUBLISHERS.payment_refund_requested, refund))
    held.release.set()
    await charging
    assert subjects(store.outbox()) == [
        "payment.processing.started.v1",
        "payment.refunded.v1",
        "payment.refunded.v1",
    ]
    voided, refunded = sent(store, "payment.refunded.v1")
    assert voided["refundId"] == refunded["refundId"] == str(refund.refund_id)
    assert (voided["outcome"], refunded["outcome"]) == ("voided", "refunded")
    assert refunded["amount"] == {"amount": "66.35", "currency": "EUR"}
    process_b.repository.invalidate(request.payment_id)  # its cache predates process A's append
    final = await process_b.repository.get(request.payment_id)
    assert (final.status, final.captured, final.refunded) == ("refunded", Decimal("66.35"), Decimal("66.35"))
    # asked again later, the refund id now answers with what finally happened
    await process_b.refund(refund, received(ORDER_PUBLISHERS.payment_refund_requested, refund))
    assert sent(store, "payment.refunded.v1")[-1]["outcome"] == "refunded"


async def test_a_refund_of_a_captured_payment_and_its_repeat() -> None:
    cases = use_cases(VAULT)
    request = payment_request(GOOD)
    await cases.request_payment(request, ask(request))
    refund = refund_request(request)
    await cases.refund(refund, received(ORDER_PUBLISHERS.payment_refund_requested, refund))
    await cases.refund(refund, received(ORDER_PUBLISHERS.payment_refund_requested, refund))
    store = store_of(cases)
    answers = sent(store, "payment.refunded.v1")
    assert [(a["outcome"], a["amount"]["amount"]) for a in answers] == [("refunded", "66.35")] * 2
    final = await cases.repository.get(request.payment_id)
    assert final.refunded == Decimal("66.35")


async def test_a_refund_of_a_payment_never_requested_then_the_late_request_is_refused() -> None:
    processor = SimulatedWithLog()
    cases = use_cases(VAULT, processor)
    request = payment_request(GOOD)
    refund = refund_request(request)
    await cases.refund(refund, received(ORDER_PUBLISHERS.payment_refund_requested, refund))
    await cases.request_payment(request, ask(request))
    store = store_of(cases)
    assert subjects(store.outbox()) == ["payment.refunded.v1", "payment.failed.v1"]
    assert sent(store)[0]["outcome"] == "nothing_to_refund"
    assert sent(store)[1]["amount"] == {"amount": "66.35", "currency": "EUR"}
    assert processor.calls == []


def modification(request: payment.PaymentRequested, new_total: str) -> order.OrderItemsModified:
    return order.OrderItemsModified(
        order_id=request.order_id,
        added_items=[],
        removed_items=[],
        modified_items=[],
        new_total_amount=money(new_total),
        modified_by=str(CUSTOMER),
        modified_at=T0,
    )


async def test_an_order_made_cheaper_is_partly_refunded_once_per_modification() -> None:
    cases = use_cases(VAULT)
    request = payment_request(GOOD)
    await cases.request_payment(request, ask(request))
    change = modification(request, "40.00")
    await cases.items_modified(change, received(ORDER_PUBLISHERS.order_items_modified, change))
    await cases.items_modified(change, received(ORDER_PUBLISHERS.order_items_modified, change))
    store = store_of(cases)
    answers = sent(store, "payment.refunded.v1")
    assert len(answers) == 1
    assert answers[0]["refundId"] == str(modification_refund_id(change))
    assert (answers[0]["outcome"], answers[0]["amount"]["amount"]) == ("refunded", "26.35")
    second = modification(request, "30.00").model_copy(update={"modified_at": T0.replace(hour=11)})
    await cases.items_modified(second, received(ORDER_PUBLISHERS.order_items_modified, second))
    assert sent(store, "payment.refunded.v1")[-1]["amount"]["amount"] == "10.00"  # 40.00 left, now 30.00


async def test_an_order_made_dearer_refunds_nothing() -> None:
    cases = use_cases(VAULT)
    request = payment_request(GOOD)
    await cases.request_payment(request, ask(request))
    change = modification(request, "80.00")
    await cases.items_modified(change, received(ORDER_PUBLISHERS.order_items_modified, change))
    store = store_of(cases)
    assert sent(store, "payment.refunded.v1") == []


async def test_a_modification_of_an_order_without_a_known_payment_is_retried() -> None:
    cases = use_cases(VAULT)
    change = modification(payment_request(GOOD), "10.00")
    with pytest.raises(LookupError, match="no payment known"):  # the consumer retries it, then dead-letters
        await cases.items_modified(change, received(ORDER_PUBLISHERS.order_items_modified, change))


async def test_the_timer_driven_capture_belongs_to_the_saga_flow() -> None:
    clock = Clock()
    cases = use_cases(VAULT, clock=clock)
    request = payment_request(ERRORS_TWICE)
    asked = ask(request)
    await cases.request_payment(request, asked)
    for _ in range(2):
        clock.advance(2.5)
        await cases.drive_due()
    store = store_of(cases)
    succeeded = next(m for m in store.outbox() if m.subject == "payment.succeeded.v1")
    assert succeeded.headers["correlation-id"] == str(asked.envelope.correlation_id)
    assert len(cases.locks) == 0  # no lock left behind
