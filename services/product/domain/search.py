"""What a catalogue search asks for and how its answer is shaped. Pure: no I/O.

The rules that do not depend on the database live here, so both search implementations (SQLite FTS5 and
PostgreSQL full text) and the cache agree on them: how a query is read into search terms, which filters
are valid, the price buckets and category labels of the facets, and how an artisan's tier lifts the
relevance of their products.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

__all__ = [
    "CATEGORY_LABELS",
    "MAX_RESULT_WINDOW",
    "PRICE_BUCKETS",
    "TIER_BOOST",
    "InvalidSearchError",
    "PriceBucket",
    "SearchQuery",
    "Sort",
    "cents",
    "euros",
    "index_text",
    "normalize",
    "search_terms",
]

# Spanish names of the contract's categories (`FacetCount.label`).
CATEGORY_LABELS = {
    "olive-oil": "Aceite de oliva",
    "ceramics": "Cerámica",
    "textiles": "Textil",
    "wood": "Madera",
    "leather": "Cuero",
    "food": "Alimentación",
}

MAX_RESULT_WINDOW = 10_000
"""page × pageSize may not go beyond this (the contract's bound: deep pages cost more than they give)."""

MAX_TERMS = 8

# Relevance multiplier by the artisan's last evaluated tier: a good record lifts a match a little, never
# above a clearly better text match (a bronze match scoring 20% more still wins over platinum).
TIER_BOOST = {"bronze": 1.0, "silver": 1.05, "gold": 1.1, "platinum": 1.15}

# Words too common in product names to tell products apart ("aceite de oliva" looks for aceite, oliva).
_STOPWORDS = frozenset(
    "a al con de del e el en la las lo los o para por sin su sus un una unas unos y".split()  # noqa: SIM905 - a word list reads better as words
)
_WORD = re.compile(r"[0-9a-zñ]+")


class InvalidSearchError(ValueError):
    """The query asks for something the contract rules out (answered 400)."""


class Sort(StrEnum):
    RELEVANCE = "relevance"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    NEWEST = "newest"


@dataclass(frozen=True, slots=True)
class PriceBucket:
    label: str
    min_cents: int
    max_cents: int | None  # exclusive; None for the last, open bucket


PRICE_BUCKETS = (
    PriceBucket("Menos de 10 €", 0, 1_000),
    PriceBucket("De 10 a 25 €", 1_000, 2_500),
    PriceBucket("De 25 a 50 €", 2_500, 5_000),
    PriceBucket("50 € o más", 5_000, None),
)


def cents(amount: Decimal) -> int:
    """Euros (a contract decimal with at most two places) as whole cents."""
    return int((amount * 100).to_integral_value())


def euros(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(Decimal("0.01"))


def normalize(text: str) -> str:
    """Lower case without accents (ñ kept): "Cerámica de Úbeda" -> "cerámica" -> "ceramica de ubeda"."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("ñ", "\0"))
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", stripped).replace("\0", "ñ")


def index_text(text: str) -> str:
    """The words of `text` as the index stores them: normalized, separated by single spaces."""
    return " ".join(_WORD.findall(normalize(text)))


def search_terms(text: str) -> tuple[str, ...]:
    """The words a query searches for: normalized, without stop words, in order, at most eight.

    A query made only of stop words keeps them ("de" still finds something). Every term matches as a
    prefix, so "ceram" finds "cerámica" and "aceites" stems like "aceite" on PostgreSQL.
    """
    words = list(dict.fromkeys(_WORD.findall(normalize(text))))
    meaningful = [w for w in words if w not in _STOPWORDS]
    return tuple((meaningful or words)[:MAX_TERMS])


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A validated search: what to match, the filters, and which page in which order."""

    terms: tuple[str, ...] | None = None
    """None: no text query (browse); an empty tuple: a text query with nothing searchable (no match)."""
    category: str | None = None
    min_cents: int | None = None
    max_cents: int | None = None
    artisan_id: UUID | None = None
    town: str | None = None
    in_stock: bool | None = None
    page: int = 1
    page_size: int = 20
    sort: Sort = Sort.RELEVANCE

    @classmethod
    def parse(
        cls,
        *,
        q: str | None = None,
        category: str | None = None,
        min_price: Decimal | None = None,
        max_price: Decimal | None = None,
        artisan_id: UUID | None = None,
        town: str | None = None,
        in_stock: bool | None = None,
        page: int = 1,
        page_size: int = 20,
        sort: str = "relevance",
    ) -> SearchQuery:
        """Check what the parameter schemas cannot express; raise InvalidSearchError with the reason."""
        if min_price is not None and max_price is not None and min_price > max_price:
            raise InvalidSearchError(f"minPrice ({min_price}) is greater than maxPrice ({max_price})")
        if page < 1 or not 1 <= page_size <= 100:
            raise InvalidSearchError("page starts at 1 and pageSize is between 1 and 100")
        if page * page_size > MAX_RESULT_WINDOW:
            raise InvalidSearchError(
                f"page × pageSize is {page * page_size}; results beyond {MAX_RESULT_WINDOW} are not served"
            )
        if category is not None and category not in CATEGORY_LABELS:
            raise InvalidSearchError(f"unknown category {category!r}")
        try:
            order = Sort(sort)
        except ValueError:
            raise InvalidSearchError(f"unknown sort {sort!r}") from None
        town = town.strip() if town is not None else None
        return cls(
            terms=search_terms(q) if q is not None and q.strip() else None,
            category=category,
            min_cents=cents(min_price) if min_price is not None else None,
            max_cents=cents(max_price) if max_price is not None else None,
            artisan_id=artisan_id,
            town=town or None,
            in_stock=in_stock,
            page=page,
            page_size=page_size,
            sort=order,
        )

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    def cache_key(self) -> str:
        """The same string for every query with the same answer ("Aceite  de Oliva" = "aceite oliva")."""
        parts = [
            "q=" + (" ".join(self.terms) if self.terms is not None else "-"),
            f"c={self.category or '-'}",
            f"min={self.min_cents if self.min_cents is not None else '-'}",
            f"max={self.max_cents if self.max_cents is not None else '-'}",
            f"a={self.artisan_id or '-'}",
            f"t={self.town or '-'}",
            f"s={'-' if self.in_stock is None else int(self.in_stock)}",
            f"p={self.page}",
            f"n={self.page_size}",
            f"o={self.sort.value}",
        ]
        return "&".join(parts)
