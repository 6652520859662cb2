"""The simulated processor answers as decision 009 says, for every test card, Bizum number and PayPal rule."""

from datetime import date
from uuid import UUID, uuid4

import pytest

from services.payment.domain.methods import StoredMethod, luhn_valid
from services.payment.domain.processor import (
    Captured,
    Declined,
    NoAnswer,
    ProcessorError,
    ProcessorOutcome,
    processor_id,
    simulate,
)

TODAY = date(2026, 11, 20)
PAYMENT = UUID("449cc2f9-f55d-5274-ada7-5da39ade6938")


def card(number: str, *, month: int = 12, year: int = 2030) -> StoredMethod:
    return StoredMethod(
        uuid4(), uuid4(), "card", card_number=number, expiry_month=month, expiry_year=year, brand="visa"
    )


def charge(method: StoredMethod, attempt: int = 1) -> ProcessorOutcome:
    return simulate(PAYMENT, method, attempt, TODAY)


@pytest.mark.parametrize(
    ("number", "outcome"),
    [
        ("4242424242424242", "captured"),
        ("5555555555554444", "captured"),
        ("4000000000000002", "declined"),
        ("4000000000009995", "insufficient_funds"),
        ("4000000000000069", "expired_method"),
        ("4100000000000019", "fraud_suspected"),
        ("4000000000000259", "no answer"),
        ("4000000000000341", "error"),
        ("4012888888881881", "captured"),  # any other number with a valid Luhn digit
        ("4242424242424241", "declined"),  # a wrong check digit
    ],
)
def test_every_card_of_decision_009_gets_its_answer(number: str, outcome: str) -> None:
    answer = charge(card(number))
    match answer:
        case Captured(reference):
            assert outcome == "captured"
            assert reference.startswith("sim_")
        case Declined(reason):
            assert reason == outcome
        case NoAnswer():
            assert outcome == "no answer"
        case ProcessorError():
            assert outcome == "error"


def test_the_card_that_errors_twice_is_captured_on_the_third_attempt() -> None:
    method = card("4000000000000341")
    assert [type(charge(method, attempt)).__name__ for attempt in (1, 2, 3, 4)] == [
        "ProcessorError",
        "ProcessorError",
        "Captured",
        "Captured",
    ]


def test_a_card_past_its_expiry_month_is_expired_whatever_its_number() -> None:
    assert charge(card("4242424242424242", month=10, year=2026)) == Declined("expired_method")
    valid_through_november = card("4242424242424242", month=11, year=2026)
    assert isinstance(charge(valid_through_november), Captured)


def test_the_capture_reference_is_the_same_every_time_for_one_payment() -> None:
    method = card("4242424242424242")
    assert charge(method) == charge(method)
    assert charge(method) != simulate(uuid4(), method, 1, TODAY)


@pytest.mark.parametrize(
    ("phone", "outcome"),
    [("+34600000002", Declined("declined")), ("+34600000003", Declined("insufficient_funds"))],
)
def test_bizum_numbers_of_decision_009(phone: str, outcome: ProcessorOutcome) -> None:
    assert charge(StoredMethod(uuid4(), uuid4(), "bizum", phone_number=phone)) == outcome


def test_any_other_bizum_mobile_is_captured() -> None:
    assert isinstance(charge(StoredMethod(uuid4(), uuid4(), "bizum", phone_number="+34612345678")), Captured)


@pytest.mark.parametrize(
    ("email", "declined"),
    [("maria+decline@example.es", True), ("maria@example.es", False), ("decline@example.es", False)],
)
def test_paypal_accounts_whose_local_part_ends_in_plus_decline_are_declined(
    email: str, declined: bool
) -> None:
    answer = charge(StoredMethod(uuid4(), uuid4(), "paypal", email=email))
    assert (answer == Declined("declined")) is declined
    assert isinstance(answer, Captured) is not declined


def test_bank_transfers_are_always_captured() -> None:
    method = StoredMethod(uuid4(), uuid4(), "transfer", iban="ES9121000418450200051332", holder_name="Ana")
    assert isinstance(charge(method), Captured)


def test_each_kind_of_method_has_its_processor_and_a_masked_label() -> None:
    assert processor_id("bizum") == "a4co-sim-bizum"
    assert card("4242424242424242").label == "visa ···· ????"
    assert StoredMethod(uuid4(), uuid4(), "bizum", phone_number="+34600000003").label == "bizum ···· 0003"
    assert StoredMethod(uuid4(), uuid4(), "paypal", email="ana@example.es").label == "paypal ···@example.es"


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("4242424242424242", True),
        ("79927398713", False),
        ("4242424242424241", False),
        ("42424242424242x2", False),
    ],
)
def test_luhn(number: str, valid: bool) -> None:
    assert luhn_valid(number) is valid
