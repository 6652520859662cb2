"""The split: 8 % commission per artisan, the commissions to the platform, delivery its cost, exact cents."""

from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.payment.domain.split import DELIVERY, PLATFORM, SplitError, split_payment

A, B = UUID(int=1), UUID(int=2)


def cents(value: int) -> Decimal:
    return Decimal(value) / 100


def test_an_order_of_two_artisans_with_delivery_is_shared_as_the_rules_say() -> None:
    shares = split_payment(Decimal("66.35"), [(A, Decimal("29.40")), (B, Decimal("33.00"))], Decimal("3.95"))
    assert [(s.recipient_id, s.recipient_type, s.amount) for s in shares] == [
        (str(A), "artisan", Decimal("27.05")),  # 29.40 - 2.35 (8 % = 2.352 -> 2.35)
        (str(B), "artisan", Decimal("30.36")),  # 33.00 - 2.64
        (PLATFORM, "platform", Decimal("4.99")),
        (DELIVERY, "delivery", Decimal("3.95")),
    ]
    assert [s.percentage for s in shares] == [
        Decimal("40.77"),
        Decimal("45.76"),
        Decimal("7.52"),
        Decimal("5.95"),
    ]


def test_commissions_round_half_up_to_the_cent() -> None:
    shares = split_payment(Decimal("0.25"), [(A, Decimal("0.25"))], Decimal("0.00"))  # 8 % = 0.02
    assert [s.amount for s in shares] == [Decimal("0.23"), Decimal("0.02")]
    shares = split_payment(Decimal("0.19"), [(A, Decimal("0.19"))], Decimal("0.00"))  # 0.0152 -> 0.02
    assert [s.amount for s in shares] == [Decimal("0.17"), Decimal("0.02")]


def test_lines_of_the_same_artisan_are_merged_and_free_delivery_has_no_share() -> None:
    shares = split_payment(Decimal("100.00"), [(A, Decimal("60.00")), (A, Decimal("40.00"))], Decimal("0.00"))
    assert [(s.recipient_type, s.amount, s.percentage) for s in shares] == [
        ("artisan", Decimal("92.00"), Decimal("92.00")),
        ("platform", Decimal("8.00"), Decimal("8.00")),
    ]


@pytest.mark.parametrize(
    ("total", "lines", "delivery"),
    [
        ("10.00", ["9.00"], "0.00"),  # lines short of the total
        ("10.00", ["10.00"], "1.00"),  # more than the total
        ("0.00", ["0.00"], "0.00"),  # nothing to share
        ("10.00", ["10.001"], "0.00"),  # a fraction of a cent
        ("10.00", ["11.00", "-1.00"], "0.00"),  # a negative line
    ],
)
def test_amounts_that_do_not_add_up_to_whole_cents_are_refused(
    total: str, lines: list[str], delivery: str
) -> None:
    with pytest.raises(SplitError):
        split_payment(Decimal(total), [(uuid4(), Decimal(line)) for line in lines], Decimal(delivery))


@given(
    lines=st.lists(
        st.tuples(st.integers(min_value=0, max_value=5), st.integers(min_value=1, max_value=500_000)),
        min_size=1,
        max_size=12,
    ),
    delivery=st.integers(min_value=0, max_value=2_000),
)
def test_shares_always_sum_exactly_to_the_total(lines: list[tuple[int, int]], delivery: int) -> None:
    artisans = [UUID(int=artisan + 10) for artisan in range(6)]
    priced = [(artisans[artisan], cents(amount)) for artisan, amount in lines]
    total = sum((amount for _, amount in priced), Decimal(0)) + cents(delivery)
    shares = split_payment(total, priced, cents(delivery))
    assert sum((s.amount for s in shares), Decimal(0)) == total
    assert all(s.amount > 0 and s.amount == s.amount.quantize(Decimal("0.01")) for s in shares)
    assert all(Decimal(0) <= s.percentage <= Decimal(100) for s in shares)
    assert abs(sum((s.percentage for s in shares), Decimal(0)) - 100) <= Decimal("0.01") * len(shares)
    for share in shares:
        if share.recipient_type == "artisan":
            sold = sum((a for artisan, a in priced if str(artisan) == share.recipient_id), Decimal(0))
            fee = sold - share.amount
            assert abs(fee - sold * Decimal("0.08")) <= Decimal("0.005")
    platform = [s.amount for s in shares if s.recipient_type == "platform"]
    artisans_got = sum((s.amount for s in shares if s.recipient_type == "artisan"), Decimal(0))
    assert sum(platform, Decimal(0)) == total - cents(delivery) - artisans_got
