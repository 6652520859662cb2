"""The Payment aggregate: every path of a payment, its idempotency, and a capture that comes after a void."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from services.payment.domain import events as ev
from services.payment.domain.methods import StoredMethod
from services.payment.domain.payment import Payment, ProcessorPolicy, refusal
from services.payment.domain.processor import Captured, Declined, NoAnswer, ProcessorError
from services.platform.eventstore import InMemoryRepository

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
POLICY = ProcessorPolicy(
    answer_timeout=timedelta(seconds=5), first_retry=timedelta(seconds=1), max_attempts=4
)
OLIVE, CERAMICS = uuid4(), uuid4()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def requested(amount: str = "66.35") -> Payment:
    payment = Payment(uuid4())
    assert payment.request(
        order_id=uuid4(),
        customer_id=uuid4(),
        payment_method_id=uuid4(),
        amount=Decimal(amount),
        currency="EUR",
        lines=[(OLIVE, Decimal("29.40")), (CERAMICS, Decimal(amount) - Decimal("29.40") - Decimal("3.95"))],
        delivery_cost=Decimal("3.95"),
        correlation_id=uuid4(),
        now=T0,
    )
    return payment


def processing() -> Payment:
    payment = requested()
    payment.start_processing(method_type="card", method_label="visa ···· 4242", policy=POLICY, now=T0)
    return payment


def kinds(payment: Payment) -> list[str]:
    return [e.type for e in payment.pending_events]


def captured() -> Payment:
    payment = processing()
    payment.record_outcome(1, Captured("sim_ref"), policy=POLICY, now=at(0.1))
    return payment


def test_a_request_then_processing_then_capture_records_the_capture_and_its_split() -> None:
    payment = processing()
    assert payment.status == "processing"
    assert payment.attempt == 1
    assert payment.next_attempt_at == at(5)  # ask again if the processor has not answered by then
    payment.record_outcome(1, Captured("sim_ref"), policy=POLICY, now=at(0.1))
    assert kinds(payment) == ["PaymentRequested", "ProcessingStarted", "PaymentCaptured", "PaymentSplit"]
    assert (payment.status, payment.captured, payment.reference) == ("captured", Decimal("66.35"), "sim_ref")
    assert sum(share.amount for share in payment.shares) == Decimal("66.35")
    assert payment.next_attempt_at is None


def test_events_carry_no_card_data_only_a_masked_label() -> None:
    payment = processing()
    started = payment.decided()[1]
    assert isinstance(started, ev.ProcessingStarted)
    assert started.method_label == "visa ···· 4242"
    assert all("4242424242424242" not in str(e.data) for e in payment.pending_events)


def test_a_second_request_for_the_same_payment_changes_nothing() -> None:
    payment = captured()
    assert not payment.request(
        order_id=uuid4(),
        customer_id=uuid4(),
        payment_method_id=uuid4(),
        amount=Decimal("1.00"),
        currency="EUR",
        lines=[(OLIVE, Decimal("1.00"))],
        delivery_cost=Decimal("0.00"),
        correlation_id=uuid4(),
        now=at(1),
    )
    assert payment.amount == Decimal("66.35")
    assert kinds(payment).count("PaymentRequested") == 1


@pytest.mark.parametrize("reason", ["declined", "insufficient_funds", "expired_method", "fraud_suspected"])
def test_a_declined_charge_fails_the_payment_with_the_processor_reason(reason: str) -> None:
    payment = processing()
    payment.record_outcome(1, Declined(reason), policy=POLICY, now=at(0.1))
    assert payment.status == "failed"
    assert payment.failure_reason == reason
    assert kinds(payment)[-1] == "PaymentFailed"


def test_processor_errors_are_retried_with_a_doubling_pause_then_the_capture_is_recorded() -> None:
    payment = processing()
    payment.record_outcome(1, ProcessorError("acquirer down"), policy=POLICY, now=at(0.1))
    assert (payment.status, payment.attempt, payment.next_attempt_at) == ("processing", 2, at(1.1))
    assert not payment.due(at(1.0))
    assert payment.due(at(1.1))
    payment.record_outcome(2, ProcessorError("acquirer down"), policy=POLICY, now=at(1.2))
    assert (payment.attempt, payment.next_attempt_at) == (3, at(3.2))  # 2 s after the second error
    payment.record_outcome(3, Captured("sim_ref"), policy=POLICY, now=at(3.3))
    assert payment.status == "captured"
    assert kinds(payment).count("ProcessorErrored") == 2


def test_an_error_on_the_last_attempt_fails_the_payment_with_processor_error() -> None:
    payment = processing()
    for attempt in range(1, POLICY.max_attempts):
        payment.record_outcome(attempt, ProcessorError("down"), policy=POLICY, now=at(attempt))
    payment.record_outcome(POLICY.max_attempts, ProcessorError("down"), policy=POLICY, now=at(10))
    assert payment.status == "failed"
    assert payment.failure_reason == "processor_error"


def test_an_answer_to_another_attempt_or_a_repeated_answer_is_ignored() -> None:
    payment = processing()
    payment.record_outcome(1, ProcessorError("down"), policy=POLICY, now=at(0.1))
    before = len(payment.pending_events)
    payment.record_outcome(1, Captured("late answer to attempt 1"), policy=POLICY, now=at(0.2))
    assert len(payment.pending_events) == before
    payment.record_outcome(2, Captured("sim_ref"), policy=POLICY, now=at(1.2))
    payment.record_outcome(2, Captured("sim_ref"), policy=POLICY, now=at(1.3))
    assert kinds(payment).count("PaymentCaptured") == 1


def test_no_answer_records_nothing_and_the_payment_stays_processing() -> None:
    payment = processing()
    before = len(payment.pending_events)
    payment.record_outcome(1, NoAnswer(), policy=POLICY, now=at(0.1))
    assert len(payment.pending_events) == before
    assert payment.status == "processing"
    assert payment.due(at(5))


def test_a_refund_of_a_captured_payment_gives_back_everything_by_default() -> None:
    payment = captured()
    refund_id = uuid4()
    answer = payment.refund(refund_id=refund_id, order_id=uuid4(), amount=None, reason="cancelled", now=at(2))
    assert (answer.outcome, answer.amount) == ("refunded", Decimal("66.35"))
    assert payment.status == "refunded"
    assert payment.remaining == Decimal("0.00")


def test_partial_refunds_keep_the_payment_captured_until_nothing_is_left() -> None:
    payment = captured()
    first = payment.refund(
        refund_id=uuid4(), order_id=uuid4(), amount=Decimal("10.00"), reason="r", now=at(2)
    )
    assert (first.outcome, first.amount, payment.status) == ("refunded", Decimal("10.00"), "captured")
    second = payment.refund(refund_id=uuid4(), order_id=uuid4(), amount=Decimal(100), reason="r", now=at(3))
    assert second.amount == Decimal("56.35")  # no more than is left
    assert payment.status == "refunded"
    third = payment.refund(refund_id=uuid4(), order_id=uuid4(), amount=None, reason="r", now=at(4))
    assert (third.outcome, third.amount) == ("nothing_to_refund", Decimal("0.00"))


def test_the_same_refund_id_is_answered_once_and_the_same_way_again() -> None:
    payment = captured()
    refund_id = uuid4()
    first = payment.refund(refund_id=refund_id, order_id=uuid4(), amount=None, reason="r", now=at(2))
    events = len(payment.pending_events)
    again = payment.refund(refund_id=refund_id, order_id=uuid4(), amount=None, reason="r", now=at(3))
    assert again == first
    assert len(payment.pending_events) == events


@pytest.mark.parametrize("stage", ["requested", "processing"])
def test_a_refund_before_the_capture_voids_the_payment(stage: str) -> None:
    payment = requested() if stage == "requested" else processing()
    answer = payment.refund(refund_id=uuid4(), order_id=uuid4(), amount=None, reason="timeout", now=at(30))
    assert (answer.outcome, answer.amount) == ("voided", Decimal("66.35"))
    assert payment.status == "voided"
    assert not payment.due(at(60))  # a voided payment is not driven any more


def test_a_refund_of_a_failed_payment_finds_nothing_to_refund() -> None:
    payment = processing()
    payment.record_outcome(1, Declined("declined"), policy=POLICY, now=at(0.1))
    answer = payment.refund(refund_id=uuid4(), order_id=uuid4(), amount=None, reason="r", now=at(2))
    assert (answer.outcome, answer.amount) == ("nothing_to_refund", Decimal("0.00"))
    assert kinds(payment)[-1] == "NothingRefunded"


def test_a_refund_of_an_unknown_payment_leaves_a_tombstone_that_refuses_the_late_request() -> None:
    payment = Payment(uuid4())
    order_id = uuid4()
    answer = payment.refund(refund_id=uuid4(), order_id=order_id, amount=None, reason="r", now=T0)
    assert answer.outcome == "nothing_to_refund"
    assert (payment.status, payment.order_id) == ("voided", order_id)
    assert not payment.request(
        order_id=order_id,
        customer_id=uuid4(),
        payment_method_id=uuid4(),
        amount=Decimal("10.00"),
        currency="EUR",
        lines=[(OLIVE, Decimal("10.00"))],
        delivery_cost=Decimal("0.00"),
        correlation_id=uuid4(),
        now=at(1),
    )


def test_a_capture_after_a_void_is_refunded_at_once_under_the_refund_id_that_voided_it() -> None:
    payment = processing()
    refund_id = uuid4()
    payment.refund(refund_id=refund_id, order_id=uuid4(), amount=None, reason="payment timeout", now=at(30))
    payment.record_outcome(1, Captured("sim_late"), policy=POLICY, now=at(31))
    assert kinds(payment)[-2:] == ["PaymentCaptured", "PaymentRefunded"]
    late = payment.decided()[-2]
    assert isinstance(late, ev.PaymentCaptured)
    assert late.after_void
    assert payment.status == "refunded"
    assert (payment.captured, payment.refunded) == (Decimal("66.35"), Decimal("66.35"))
    answer = payment.refund_answer(refund_id)
    assert answer is not None
    assert (answer.outcome, answer.amount) == ("refunded", Decimal("66.35"))
    assert "PaymentSplit" not in kinds(payment)  # nothing to share: the money went back


def test_a_decline_or_an_error_after_a_void_changes_nothing() -> None:
    payment = processing()
    payment.refund(refund_id=uuid4(), order_id=uuid4(), amount=None, reason="r", now=at(30))
    before = len(payment.pending_events)
    payment.record_outcome(1, Declined("declined"), policy=POLICY, now=at(31))
    payment.record_outcome(1, ProcessorError("down"), policy=POLICY, now=at(31))
    assert len(payment.pending_events) == before
    assert payment.status == "voided"


def test_a_refused_request_fails_without_ever_processing() -> None:
    payment = requested()
    payment.refuse(reason="declined", detail="the payment method is not in the vault", now=at(0))
    assert kinds(payment) == ["PaymentRequested", "PaymentFailed"]
    payment.start_processing(method_type="card", method_label="x", policy=POLICY, now=at(0))
    assert payment.status == "failed"


async def test_a_payment_read_back_from_the_store_is_the_payment_that_was_saved() -> None:
    repository = InMemoryRepository(Payment)
    payment = processing()
    payment.record_outcome(1, ProcessorError("down"), policy=POLICY, now=at(0.1))
    await repository.save(payment, causation_id=uuid4())
    payment.record_outcome(2, Captured("sim_ref"), policy=POLICY, now=at(1.2))
    payment.refund(refund_id=uuid4(), order_id=uuid4(), amount=Decimal("5.00"), reason="r", now=at(2))
    await repository.save(payment)
    repository.invalidate(payment.id)
    loaded = await repository.get(payment.id)
    fields = ("status", "attempt", "captured", "refunded", "reference", "shares", "refunds", "order_id")
    assert {f: getattr(loaded, f) for f in fields} == {f: getattr(payment, f) for f in fields}
    assert loaded.version == payment.version == 6


async def test_a_redelivered_message_is_recognised_from_the_payment_history() -> None:
    repository = InMemoryRepository(Payment)
    message_id = uuid4()
    payment = processing()
    await repository.save(payment, causation_id=message_id)
    loaded = await repository.get(payment.id)
    assert loaded.has_processed(message_id)
    assert not loaded.has_processed(uuid4())


def method(owner: UUID) -> StoredMethod:
    return StoredMethod(uuid4(), owner, "card", card_number="4242424242424242", brand="visa", last4="4242")


def why(
    customer: UUID,
    chosen: StoredMethod | None,
    *,
    currencies: tuple[str, ...] = ("EUR",),
    amount: str = "13.95",
) -> str | None:
    return refusal(
        customer_id=customer,
        method=chosen,
        amount=Decimal(amount),
        currencies=currencies,
        lines=[(OLIVE, Decimal("10.00"))],
        delivery_cost=Decimal("3.95"),
    )


def test_refusal_names_what_makes_a_request_uncharged() -> None:
    customer = uuid4()
    assert why(customer, method(customer)) is None
    assert "not in the vault" in str(why(customer, None))
    assert "another customer" in str(why(uuid4(), method(customer)))
    assert "one currency" in str(why(customer, method(customer), currencies=("EUR", "USD")))
    assert "do not add up" in str(why(customer, method(customer), amount="20.00"))
