"""Reading a query: search terms, validation (answered 400) and the cache key."""

from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from services.product.domain.search import (
    MAX_RESULT_WINDOW,
    InvalidSearchError,
    SearchQuery,
    Sort,
    cents,
    euros,
    normalize,
    search_terms,
)


def test_normalizing_drops_accents_and_case_but_keeps_the_enye() -> None:
    assert normalize("Cerámica de ÚBEDA, Añoranza") == "ceramica de ubeda, añoranza"


def test_search_terms_skip_stop_words_and_repeats() -> None:
    assert search_terms("Aceite de Oliva  de Jaén aceite") == ("aceite", "oliva", "jaen")


def test_a_query_of_stop_words_only_keeps_them() -> None:
    assert search_terms("de la") == ("de", "la")


def test_punctuation_alone_is_nothing_to_search() -> None:
    assert search_terms("¡¿?!") == ()
    assert SearchQuery.parse(q="¿?").terms == ()  # a query that matches nothing, not a browse


def test_at_most_eight_terms() -> None:
    assert len(search_terms(" ".join(f"palabra{n}" for n in range(20)))) == 8


def test_a_blank_query_browses() -> None:
    assert SearchQuery.parse(q="   ").terms is None


def test_prices_are_cents() -> None:
    assert cents(Decimal("9.80")) == 980
    assert euros(980) == Decimal("9.80")
    query = SearchQuery.parse(min_price=Decimal(5), max_price=Decimal("30.50"))
    assert (query.min_cents, query.max_cents) == (500, 3050)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"min_price": Decimal(30), "max_price": Decimal(5)}, "greater than maxPrice"),
        ({"page": 101, "page_size": 100}, "10000"),
        ({"page": 0}, "page starts at 1"),
        ({"page_size": 101}, "between 1 and 100"),
        ({"category": "jewellery"}, "unknown category"),
        ({"sort": "cheapest"}, "unknown sort"),
    ],
)
def test_what_the_contract_rules_out_is_refused(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidSearchError, match=message):
        SearchQuery.parse(**arguments)


def test_the_deepest_page_allowed() -> None:
    query = SearchQuery.parse(page=MAX_RESULT_WINDOW // 50, page_size=50)
    assert query.offset == MAX_RESULT_WINDOW - 50


def test_equivalent_queries_share_a_cache_key() -> None:
    artisan = uuid4()
    a = SearchQuery.parse(q="Aceite  de Oliva", artisan_id=artisan, town=" Bedmar ")
    b = SearchQuery.parse(q="aceite oliva", artisan_id=artisan, town="Bedmar")
    assert a.cache_key() == b.cache_key()
    assert (
        a.cache_key()
        != SearchQuery.parse(q="aceite oliva", artisan_id=artisan, town="Bedmar", page=2).cache_key()
    )
    assert SearchQuery.parse(sort="price_asc").sort is Sort.PRICE_ASC
