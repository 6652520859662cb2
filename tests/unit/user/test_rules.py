"""The user service's pure rules: masking, card expiry, the default method, validation and segments."""

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from services.user.domain.customers import (
    Rejection,
    SavedMethod,
    card_label,
    default_method,
    first_name,
    masked_label,
    method_status,
    paypal_label,
    validate_customer,
)
from services.user.domain.segments import (
    OLIVE_OIL_LOVER,
    REPEAT_BUYER,
    VIP,
    Segmentation,
    shows_olive_oil_interest,
)

T0 = datetime(2026, 11, 20, 10, tzinfo=UTC)


def test_labels_show_only_the_last_four_digits() -> None:
    assert card_label("visa", "4242") == "Visa ···· 4242"
    assert card_label("amex", "0005") == "American Express ···· 0005"
    assert masked_label("Bizum", "+34600002233") == "Bizum ···· 2233"
    assert masked_label("Transferencia", "ES9121000418450200051332") == "Transferencia ···· 1332"
    assert paypal_label("maria.lopez@example.es") == "PayPal m···@example.es"


def test_a_card_expires_after_its_expiry_month() -> None:
    assert method_status(11, 2026, date(2026, 11, 30)) == "active"
    assert method_status(10, 2026, date(2026, 11, 1)) == "expired"
    assert method_status(1, 2027, date(2026, 12, 31)) == "active"
    assert method_status(None, None, date(2030, 1, 1)) == "active"  # bizum, paypal, transfer


def _method(added: int, *, default: bool) -> SavedMethod:
    return SavedMethod(
        uuid4(), uuid4(), "card", "Visa ···· 4242", 1, 2030, default, T0 + timedelta(minutes=added)
    )


def test_the_default_method_is_the_latest_saved_as_default_else_the_first() -> None:
    first, second, third = _method(0, default=False), _method(1, default=True), _method(2, default=False)
    assert default_method([first, second, third]) == second.payment_method_id
    newer_default = _method(3, default=True)
    assert default_method([first, second, newer_default]) == newer_default.payment_method_id
    assert default_method([third, first]) == first.payment_method_id
    assert default_method([]) is None


def test_the_chat_greets_with_the_first_name() -> None:
    assert first_name("María López García") == "María"
    assert first_name("  Juan  ") == "Juan"


@pytest.mark.parametrize(
    ("known", "blocked", "rejection"),
    [(True, False, None), (False, False, Rejection.UNKNOWN_CUSTOMER), (True, True, Rejection.BLOCKED)],
)
def test_only_known_unblocked_customers_may_order(
    known: bool, blocked: bool, rejection: Rejection | None
) -> None:
    assert validate_customer(known=known, blocked=blocked) == rejection


@pytest.mark.parametrize(
    ("action", "page", "query", "filters", "counts"),
    [
        ("search", "/buscar", "aceite picual", None, True),
        ("product_view", "/productos/123", None, {"category": "olive-oil"}, True),
        ("product_view", "/productos/aove-picual-500ml", None, None, True),
        ("add_to_cart", None, None, {"category": ["ceramics", "olive-oil"]}, True),
        ("product_view", "/productos/plato-verde", None, {"category": "ceramics"}, False),
        ("checkout_started", "/aceite", None, None, False),  # not an interest action
    ],
)
def test_olive_oil_interest_is_read_from_category_page_and_search(
    action: str, page: str | None, query: str | None, filters: dict[str, object] | None, counts: bool
) -> None:
    assert shows_olive_oil_interest(action, page=page, search_query=query, filters=filters) is counts


def test_two_olive_oil_interactions_make_an_olive_oil_lover_once() -> None:
    segmentation = Segmentation(uuid4())
    segmentation.record_olive_oil_interest(now=T0)
    assert segmentation.collect() == []
    segmentation.record_olive_oil_interest(now=T0)
    [change] = segmentation.collect()
    assert (change.previous, change.current) == ((), (OLIVE_OIL_LOVER,))
    assert [(t.rule, t.value) for t in change.triggers] == [
        ("olive-oil-lover: olive-oil interactions >= 2", 2)
    ]
    segmentation.record_olive_oil_interest(now=T0)
    assert segmentation.collect() == []  # the set did not change


def test_two_confirmed_orders_make_a_repeat_buyer_and_gold_a_vip() -> None:
    segmentation = Segmentation(uuid4(), segments=(OLIVE_OIL_LOVER,), olive_oil_interactions=2)
    segmentation.record_confirmed_order(balance=300, tier="basic", ordered_at=T0, now=T0)
    assert segmentation.collect() == []
    segmentation.record_confirmed_order(balance=2100, tier="gold", ordered_at=T0 + timedelta(days=1), now=T0)
    [change] = segmentation.collect()
    assert change.previous == (OLIVE_OIL_LOVER,)
    assert change.current == (OLIVE_OIL_LOVER, REPEAT_BUYER, VIP)
    assert [t.value for t in change.triggers] == [2, "gold"]
    assert segmentation.last_order_at == T0 + timedelta(days=1)


def test_a_late_event_with_a_lower_balance_does_not_lower_the_tier() -> None:
    segmentation = Segmentation(uuid4(), confirmed_orders=3, balance=2100, tier="gold", last_order_at=T0)
    segmentation.record_confirmed_order(balance=400, tier="basic", ordered_at=T0 - timedelta(days=3), now=T0)
    assert (segmentation.tier, segmentation.balance, segmentation.last_order_at) == ("gold", 2100, T0)
