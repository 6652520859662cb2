"""Whether a method can pay: the vault, the user service's profile, expiry, risk and credit, in that order."""

from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from services.payment.domain.methods import StoredMethod
from services.payment.domain.validation import (
    Assessment,
    Profile,
    ProfileMethod,
    ProfileProblem,
    Velocity,
    assess,
    risk_score,
)

TODAY = date(2026, 11, 20)
CUSTOMER = uuid4()
QUIET = Velocity(last_hour=1, last_day=1)


def card(number: str = "4242424242424242", *, owner: UUID = CUSTOMER, year: int = 2030) -> StoredMethod:
    return StoredMethod(
        uuid4(), owner, "card", card_number=number, expiry_month=12, expiry_year=year, brand="visa"
    )


def profile_with(method: StoredMethod, *, blocked: bool = False, expired: bool = False) -> Profile:
    listed = ProfileMethod(method.payment_method_id, method.type, expired)
    return Profile(blocked=blocked, methods={method.payment_method_id: listed})


def check(
    method: StoredMethod | None,
    profile: Profile | ProfileProblem | None = None,
    *,
    amount: str = "66.35",
    velocity: Velocity = QUIET,
    method_id: UUID | None = None,
) -> Assessment:
    asked = method.payment_method_id if method is not None else method_id
    assert asked is not None, "name the method asked for when the vault has none"
    return assess(
        payment_method_id=asked,
        customer_id=CUSTOMER,
        method=method,
        profile=profile
        if profile is not None
        else (profile_with(method) if method else Profile(blocked=False)),
        amount=Decimal(amount),
        velocity=velocity,
        today=TODAY,
    )


def test_a_good_card_is_valid_with_its_credit_3ds_and_risk() -> None:
    answer = check(card())
    assert answer == Assessment(
        valid=True,
        method_type="card",
        available_credit=Decimal("3000.00"),
        requires_3ds=True,  # 30 EUR and more: no low-value exemption
        risk_score=10,
    )


def test_a_small_card_payment_is_exempt_from_3ds() -> None:
    assert check(card(), amount="29.99").requires_3ds is False


def test_an_unknown_method_is_refused_with_the_type_the_profile_gives_else_card() -> None:
    method_id = uuid4()
    bizum = Profile(blocked=False, methods={method_id: ProfileMethod(method_id, "bizum", expired=False)})
    assert check(None, bizum, method_id=method_id) == Assessment(
        valid=False, method_type="bizum", rejection="unknown_method"
    )
    assert check(None, Profile(blocked=False), method_id=method_id).method_type == "card"


def test_a_method_of_another_customer_is_not_owned() -> None:
    assert check(card(owner=uuid4())).rejection == "not_owned_by_customer"


def test_an_unreachable_user_service_answers_profile_unavailable() -> None:
    assert check(card(), ProfileProblem.UNAVAILABLE).rejection == "profile_unavailable"


def test_an_unknown_customer_or_a_method_the_profile_does_not_list_is_not_owned() -> None:
    assert check(card(), ProfileProblem.UNKNOWN_CUSTOMER).rejection == "not_owned_by_customer"
    assert check(card(), Profile(blocked=False)).rejection == "not_owned_by_customer"


def test_a_blocked_customer_is_refused() -> None:
    method = card()
    assert check(method, profile_with(method, blocked=True)).rejection == "blocked"


@pytest.mark.parametrize(
    ("method", "expired_in_profile"),
    [(card("4000000000000069"), False), (card(year=2025), False), (card(), True)],
)
def test_expired_methods_are_refused(method: StoredMethod, expired_in_profile: bool) -> None:
    assert check(method, profile_with(method, expired=expired_in_profile)).rejection == "expired"


def test_the_risky_test_card_scores_95_and_is_refused() -> None:
    answer = check(card("4100000000000019"))
    assert (answer.valid, answer.rejection, answer.risk_score) == (False, "risk_too_high", 95)


def test_order_velocity_raises_the_risk_until_it_is_too_high() -> None:
    assert risk_score("card", Decimal(20), Velocity(last_hour=2, last_day=5)) == 10
    assert risk_score("card", Decimal(20), Velocity(last_hour=3, last_day=6)) == 30
    assert risk_score("card", Decimal(1500), Velocity(last_hour=1, last_day=1)) == 30
    busy = check(card(), velocity=Velocity(last_hour=7, last_day=7))
    assert (busy.rejection, busy.risk_score) == ("risk_too_high", 95)
    assert risk_score("card", Decimal(2000), Velocity(last_hour=50, last_day=50)) == 100


def test_amounts_above_the_credit_are_refused() -> None:
    assert check(card(), amount="3000.01").rejection == "insufficient_credit"
    bizum = StoredMethod(uuid4(), CUSTOMER, "bizum", phone_number="+34612345678")
    assert check(bizum, amount="1000.01").rejection == "insufficient_credit"
    answer = check(bizum, amount="1000.00")
    assert (answer.valid, answer.available_credit, answer.requires_3ds) == (True, Decimal("1000.00"), False)


def test_paypal_and_transfers_report_no_credit_limit() -> None:
    paypal = StoredMethod(uuid4(), CUSTOMER, "paypal", email="ana@example.es")
    answer = check(paypal, amount="2500.00")
    assert (answer.valid, answer.available_credit) == (True, None)
