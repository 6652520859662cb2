"""Writing the catalogue read model from events, and reading it back for search and product pages.

`CatalogWriter` applies one fact at a time under the guards of `tables`. `CatalogSearch` answers a
`SearchQuery` with one page, its total and its facets; it has two implementations with the same results
shape, `SqliteCatalogSearch` (FTS5, bm25) and `PostgresCatalogSearch` (`tsvector`, `ts_rank`, Spanish
configuration). Everything but the full-text match is shared SQL.

Text is indexed and queried without accents and in lower case, normalized in Python the same way for
both databases (`domain.search.index_text`), so PostgreSQL needs no `unaccent` extension and both
answer "ceramica" and "cerámica" alike.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Float,
    FromClause,
    Select,
    String,
    Uuid,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    not_,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.ext.asyncio import AsyncSession

from a4co_sdk.models import artisan, inventory, product
from services.platform.database import dialect_insert
from services.product.domain.search import (
    CATEGORY_LABELS,
    PRICE_BUCKETS,
    TIER_BOOST,
    PriceBucket,
    SearchQuery,
    Sort,
    cents,
    index_text,
)

from .tables import FTS_TABLE, artisan_tiers, artisans, prices, products, search_documents, stock

__all__ = [
    "CatalogSearch",
    "CatalogWriter",
    "FacetValue",
    "Hit",
    "PostgresCatalogSearch",
    "ProductPage",
    "SearchPage",
    "SqliteCatalogSearch",
    "catalog_search_for",
    "product_page",
]

SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")

SPANISH = "spanish"
# Weights of name, keywords (tags, category, attributes), maker (artisan, town) and body (description).
FTS5_WEIGHTS = (10.0, 4.0, 3.0, 1.0)
TS_RANK_WEIGHTS = "'{0.1, 0.2, 0.4, 1.0}'::float4[]"  # D, C, B, A as ts_rank wants them
PG_SCORE_SCALE = 10.0  # ts_rank lives in 0..1; scaled to read like bm25 scores


# -- writing ---------------------------------------------------------------------------------------------


def _ts_vector(name: Any, keywords: Any, maker: Any, body: Any) -> ColumnElement[Any]:
    config = cast(literal(SPANISH), REGCONFIG)

    def weighted(value: Any, weight: str) -> ColumnElement[Any]:
        # setweight takes a "char", which a bound string parameter is not: the letter is a constant.
        return func.setweight(
            func.to_tsvector(config, func.coalesce(value, "")), literal_column(f"'{weight}'")
        )

    return (
        weighted(name, "A")
        .op("||")(weighted(keywords, "B"))
        .op("||")(weighted(maker, "C"))
        .op("||")(weighted(body, "D"))
    )


class CatalogWriter:
    """Applies catalogue facts to the read model; each method is idempotent and order-insensitive."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._postgres = session.get_bind().dialect.name == "postgresql"

    async def list_product(self, listed: product.ProductListed) -> None:
        """A listing (or a re-listing): the newest listing's details win; its price counts from listedAt."""
        images = listed.content.images
        values = {
            "product_id": listed.product_id,
            "artisan_id": listed.artisan_id,
            "sku": listed.sku,
            "name": listed.name,
            "description": listed.description,
            "category": listed.category.value,
            "unit_label": listed.unit_label,
            "weight_kg": listed.weight_kg,
            "tags": [tag.root for tag in listed.tags],
            "attributes": [a.model_dump(mode="json", by_alias=True) for a in listed.attributes],
            "content": listed.content.model_dump(mode="json", by_alias=True, exclude_none=True),
            "image_url": str(images[0].url) if images else None,
            "initial_stock": listed.initial_stock,
            "low_stock_threshold": listed.low_stock_threshold,
            "listed_at": listed.listed_at,
        }
        insert = dialect_insert(self._session, products).values(values)
        await self._session.execute(
            insert.on_conflict_do_update(
                index_elements=[products.c.product_id],
                set_={k: insert.excluded[k] for k in values if k != "product_id"},
                where=products.c.listed_at <= insert.excluded.listed_at,
            )
        )
        await self._set_price(listed.product_id, listed.price.amount, listed.price.currency, listed.listed_at)
        # The stored row is the newest listing (this one or a later one seen before): index that one.
        await self._index(listed.product_id)

    async def change_price(self, changed: product.ProductPriceChanged) -> None:
        """Kept even before the listing arrives; the newer of listing and change decides the price."""
        await self._set_price(
            changed.product_id, changed.new_price.amount, changed.new_price.currency, changed.changed_at
        )

    async def _set_price(self, product_id: UUID, amount: Any, currency: str, as_of: datetime) -> None:
        values = {
            "product_id": product_id,
            "price_cents": cents(amount),
            "currency": currency,
            "as_of": as_of,
        }
        insert = dialect_insert(self._session, prices).values(values)
        await self._session.execute(
            insert.on_conflict_do_update(
                index_elements=[prices.c.product_id],
                set_={k: insert.excluded[k] for k in ("price_cents", "currency", "as_of")},
                where=prices.c.as_of < insert.excluded.as_of,
            )
        )

    async def set_stock(self, levels: Sequence[inventory.StockLevel]) -> None:
        """Keep each product's level with the highest version (inventory's per-product counter)."""
        if not levels:
            return
        newest: dict[UUID, inventory.StockLevel] = {}
        for level in levels:
            kept = newest.get(level.product_id)
            if kept is None or level.version > kept.version:
                newest[level.product_id] = level
        rows = [
            {"product_id": pid, "available": level.available, "version": level.version}
            for pid, level in newest.items()
        ]
        insert = dialect_insert(self._session, stock)
        await self._session.execute(
            insert.on_conflict_do_update(
                index_elements=[stock.c.product_id],
                set_={"available": insert.excluded.available, "version": insert.excluded.version},
                where=stock.c.version < insert.excluded.version,
            ),
            rows,
        )

    async def onboard_artisan(self, completed: artisan.ArtisanOnboardingCompleted) -> None:
        info = completed.business_info
        values = {
            "artisan_id": completed.artisan_id,
            "business_name": info.business_name,
            "town": info.town,
            "certifications": [
                c.model_dump(mode="json", by_alias=True, exclude_none=True) for c in completed.certifications
            ],
            "completed_at": completed.completed_at,
        }
        insert = dialect_insert(self._session, artisans).values(values)
        await self._session.execute(
            insert.on_conflict_do_update(
                index_elements=[artisans.c.artisan_id],
                set_={k: insert.excluded[k] for k in values if k != "artisan_id"},
                where=artisans.c.completed_at <= insert.excluded.completed_at,
            )
        )
        # Products listed before their maker was known are searchable by the maker's name from now on.
        maker = await self._maker(completed.artisan_id)
        of_artisan = select(products.c.product_id).where(products.c.artisan_id == completed.artisan_id)
        docs = search_documents.c
        change: dict[str, Any] = {"maker": maker}
        if self._postgres:
            change["document"] = _ts_vector(docs.name, docs.keywords, maker, docs.body)
        await self._session.execute(
            search_documents.update().where(docs.product_id.in_(of_artisan)).values(change)
        )

    async def set_tier(self, evaluated: artisan.ArtisanPerformanceEvaluated) -> None:
        values = {
            "artisan_id": evaluated.artisan_id,
            "tier": evaluated.tier.value,
            "evaluated_at": evaluated.evaluated_at,
        }
        insert = dialect_insert(self._session, artisan_tiers).values(values)
        await self._session.execute(
            insert.on_conflict_do_update(
                index_elements=[artisan_tiers.c.artisan_id],
                set_={"tier": insert.excluded.tier, "evaluated_at": insert.excluded.evaluated_at},
                where=artisan_tiers.c.evaluated_at < insert.excluded.evaluated_at,
            )
        )

    async def _maker(self, artisan_id: UUID) -> str:
        row = (
            await self._session.execute(
                select(artisans.c.business_name, artisans.c.town).where(artisans.c.artisan_id == artisan_id)
            )
        ).one_or_none()
        return index_text(f"{row.business_name} {row.town}") if row is not None else ""

    async def _index(self, product_id: UUID) -> None:
        row = (await self._session.execute(select(products).where(products.c.product_id == product_id))).one()
        listed_words = [*row.tags, CATEGORY_LABELS.get(row.category, row.category)]
        listed_words += [a["value"] for a in row.attributes]
        content = row.content
        values: dict[str, Any] = {
            "product_id": product_id,
            "name": index_text(row.name),
            "keywords": index_text(" ".join(listed_words)),
            "maker": await self._maker(row.artisan_id),
            "body": index_text(f"{row.description} {content.get('headline', '')}"),
        }
        if self._postgres:
            values["document"] = _ts_vector(
                values["name"], values["keywords"], values["maker"], values["body"]
            )
        insert = dialect_insert(self._session, search_documents).values(values)
        await self._session.execute(
            insert.on_conflict_do_update(
                index_elements=[search_documents.c.product_id],
                set_={k: insert.excluded[k] for k in values if k != "product_id"},
            )
        )


# -- reading ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hit:
    product_id: UUID
    name: str
    category: str
    price_cents: int
    currency: str
    artisan_id: UUID
    artisan_name: str
    town: str
    in_stock: bool
    score: float
    image_url: str | None


@dataclass(frozen=True, slots=True)
class FacetValue:
    value: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class SearchPage:
    hits: list[Hit]
    total: int
    categories: list[FacetValue]
    price_ranges: list[tuple[PriceBucket, int]]
    artisans: list[FacetValue]
    towns: list[FacetValue]

    @classmethod
    def empty(cls) -> SearchPage:
        return cls([], 0, [], [(bucket, 0) for bucket in PRICE_BUCKETS], [], [])


ARTISAN_FACET_SIZE = 20
_NO_LABEL = literal("").label("label")


@dataclass(frozen=True, slots=True)
class _Plan:
    joined: FromClause
    filters: dict[str, ColumnElement[bool]]
    score: ColumnElement[Any]
    boost: ColumnElement[Any]
    in_stock: ColumnElement[bool]

    def where(self, statement: SelectT, *, but: str | None = None) -> SelectT:
        """`statement` over the joined tables with every filter but `but` (a facet's own)."""
        return statement.select_from(self.joined).where(*(c for k, c in self.filters.items() if k != but))


class CatalogSearch(abc.ABC):
    """Faceted full-text search over the catalogue read model (one implementation per database)."""

    @abc.abstractmethod
    def _matches(self, terms: tuple[str, ...]) -> FromClause:
        """A subquery of (product_id, score >= 0) for the products matching every term (as a prefix)."""

    async def search(self, session: AsyncSession, query: SearchQuery) -> SearchPage:
        if query.terms == ():  # a text query without a searchable word matches nothing
            return SearchPage.empty()
        plan = self._plan(query)
        # Two statements: the page (with the total as a window count), then every facet in one UNION ALL.
        # Fewer round trips matter more than anything else here (each costs a thread hop on SQLite).
        hits, total = await self._page(session, query, plan)
        categories, bucket_counts, artisan_facet, towns = await self._facets(session, plan)
        return SearchPage(
            hits=hits,
            total=total,
            categories=_by_count(categories),
            price_ranges=[(b, bucket_counts.get(i, 0)) for i, b in enumerate(PRICE_BUCKETS)],
            artisans=sorted(artisan_facet, key=lambda f: (-f.count, f.label, f.value)),
            towns=_by_count(towns),
        )

    def _plan(self, query: SearchQuery) -> _Plan:
        """The joined tables, the score and one condition per filter (facets leave their own out)."""
        p, a = products.c, artisans.c
        in_stock = func.coalesce(stock.c.available, p.initial_stock) > 0
        boost = case(
            *((artisan_tiers.c.tier == tier, boost) for tier, boost in TIER_BOOST.items() if boost != 1.0),
            else_=1.0,
        )
        joined = (
            products.join(prices, prices.c.product_id == p.product_id)
            .join(artisans, a.artisan_id == p.artisan_id)
            .outerjoin(stock, stock.c.product_id == p.product_id)
            .outerjoin(artisan_tiers, artisan_tiers.c.artisan_id == p.artisan_id)
        )
        if query.terms is not None:
            matches = self._matches(query.terms)
            joined = joined.join(matches, matches.c.product_id == p.product_id)
            score: ColumnElement[Any] = matches.c.score * boost
        else:
            score = literal(0.0, Float)
        filters: dict[str, ColumnElement[bool]] = {}
        if query.category is not None:
            filters["category"] = p.category == query.category
        price_bounds = []
        if query.min_cents is not None:
            price_bounds.append(prices.c.price_cents >= query.min_cents)
        if query.max_cents is not None:
            price_bounds.append(prices.c.price_cents <= query.max_cents)
        if price_bounds:
            filters["price"] = and_(*price_bounds)
        if query.artisan_id is not None:
            filters["artisan"] = p.artisan_id == query.artisan_id
        if query.town is not None:
            filters["town"] = a.town == query.town
        if query.in_stock is not None:
            filters["in_stock"] = in_stock if query.in_stock else not_(in_stock)
        return _Plan(joined, filters, score, boost, in_stock)

    async def _page(self, session: AsyncSession, query: SearchQuery, plan: _Plan) -> tuple[list[Hit], int]:
        p, a = products.c, artisans.c
        rows = (
            await session.execute(
                plan.where(
                    select(
                        p.product_id,
                        p.name,
                        p.category,
                        prices.c.price_cents,
                        prices.c.currency,
                        p.artisan_id,
                        a.business_name,
                        a.town,
                        plan.in_stock.label("in_stock"),
                        plan.score.label("score"),
                        p.image_url,
                        func.count().over().label("total"),
                    )
                )
                .order_by(*self._order(query, plan.score, plan.boost))
                .limit(query.page_size)
                .offset(query.offset)
            )
        ).all()
        hits = [
            Hit(
                product_id=row.product_id,
                name=row.name,
                category=row.category,
                price_cents=row.price_cents,
                currency=row.currency,
                artisan_id=row.artisan_id,
                artisan_name=row.business_name,
                town=row.town,
                in_stock=bool(row.in_stock),
                score=round(max(float(row.score or 0.0), 0.0), 4),
                image_url=row.image_url,
            )
            for row in rows
        ]
        if rows:
            return hits, int(rows[0].total)
        if query.offset:  # past the last page: the window count has no row to ride on
            return hits, (await session.execute(plan.where(select(func.count())))).scalar_one()
        return hits, 0

    @staticmethod
    async def _facets(
        session: AsyncSession, plan: _Plan
    ) -> tuple[list[FacetValue], dict[int, int], list[FacetValue], list[FacetValue]]:
        p, a = products.c, artisans.c
        count = func.count().label("n")
        bucket = case(
            *(
                (prices.c.price_cents < b.max_cents, i)
                for i, b in enumerate(PRICE_BUCKETS)
                if b.max_cents is not None
            ),
            else_=len(PRICE_BUCKETS) - 1,
        )
        top_artisans = (
            plan.where(select(p.artisan_id, a.business_name, count), but="artisan")
            .group_by(p.artisan_id, a.business_name)
            .order_by(count.desc(), a.business_name, p.artisan_id)
            .limit(ARTISAN_FACET_SIZE)
            .subquery("top_artisans")
        )
        facet = literal("category").label("facet")
        facets = union_all(
            plan.where(select(facet, p.category.label("value"), _NO_LABEL, count), but="category").group_by(
                p.category
            ),
            plan.where(
                select(
                    literal("price").label("facet"), cast(bucket, String).label("value"), _NO_LABEL, count
                ),
                but="price",
            ).group_by(bucket),
            select(
                literal("artisan").label("facet"),
                cast(top_artisans.c.artisan_id, String).label("value"),
                top_artisans.c.business_name.label("label"),
                top_artisans.c.n,
            ),
            plan.where(
                select(literal("town").label("facet"), a.town.label("value"), _NO_LABEL, count), but="town"
            ).group_by(a.town),
        )
        categories: list[FacetValue] = []
        bucket_counts: dict[int, int] = {}
        artisan_facet: list[FacetValue] = []
        towns: list[FacetValue] = []
        for row in await session.execute(facets):
            n = int(row.n)
            if row.facet == "category":
                categories.append(FacetValue(row.value, CATEGORY_LABELS.get(row.value, row.value), n))
            elif row.facet == "price":
                bucket_counts[int(row.value)] = n
            elif row.facet == "artisan":
                artisan_facet.append(FacetValue(str(UUID(row.value)), row.label, n))
            else:
                towns.append(FacetValue(row.value, row.value, n))
        return categories, bucket_counts, artisan_facet, towns

    @staticmethod
    def _order(query: SearchQuery, score: ColumnElement[Any], boost: ColumnElement[Any]) -> list[Any]:
        p = products.c
        if query.sort is Sort.PRICE_ASC:
            return [prices.c.price_cents.asc(), p.product_id]
        if query.sort is Sort.PRICE_DESC:
            return [prices.c.price_cents.desc(), p.product_id]
        if query.sort is Sort.NEWEST:
            return [p.listed_at.desc(), p.product_id]
        if query.terms is not None:
            return [score.desc(), p.listed_at.desc(), p.product_id]
        # Browsing by relevance: the best-rated artisans' products first, then the newest.
        return [boost.desc(), p.listed_at.desc(), p.product_id]


def _by_count(values: list[FacetValue]) -> list[FacetValue]:
    return sorted(values, key=lambda f: (-f.count, f.label))


class SqliteCatalogSearch(CatalogSearch):
    """FTS5 over name, keywords, maker and body: bm25 plus a bonus per field each term starts a word of.

    bm25 alone collapses to ~0 for a word in more than half of the products (FTS5 clamps a negative
    IDF), which happens in a small catalogue or for a word like "aceite"; the bonus (10, 4, 3, 1 per
    field, the weights of bm25 too) keeps a name match above a description match regardless, as
    PostgreSQL's weighted `ts_rank` does.
    """

    def _matches(self, terms: tuple[str, ...]) -> FromClause:
        weights = ", ".join(str(w) for w in FTS5_WEIGHTS)
        expression = " ".join(f'"{term}"*' for term in terms)  # terms are [0-9a-zñ]+: nothing to escape
        bonus = " + ".join(
            f"{weight} * (instr(' ' || d.{column}, :t{n}) > 0)"
            for n in range(len(terms))
            for column, weight in zip(("name", "keywords", "maker", "body"), FTS5_WEIGHTS, strict=True)
        )
        statement = text(
            f"SELECT d.product_id AS product_id, {bonus} - bm25({FTS_TABLE}, {weights}) AS score "  # noqa: S608 - columns and weights are constants; terms are bound
            f"FROM {FTS_TABLE} JOIN product_catalog_search AS d ON d.doc_id = {FTS_TABLE}.rowid "
            f"WHERE {FTS_TABLE} MATCH :expression"
        ).bindparams(expression=expression, **{f"t{n}": f" {term}" for n, term in enumerate(terms)})
        return statement.columns(product_id=Uuid(), score=Float()).subquery("matches")


class PostgresCatalogSearch(CatalogSearch):
    """`tsvector` (Spanish stemming, weights A-D) with `ts_rank`; every term matches as a prefix."""

    def _matches(self, terms: tuple[str, ...]) -> FromClause:
        query = func.to_tsquery(cast(literal(SPANISH), REGCONFIG), " & ".join(f"{t}:*" for t in terms))
        docs = search_documents.c
        rank = func.ts_rank(literal_column(TS_RANK_WEIGHTS), docs.document, query) * PG_SCORE_SCALE
        return (
            select(docs.product_id.label("product_id"), rank.label("score"))
            .where(docs.document.op("@@")(query))
            .subquery("matches")
        )


def catalog_search_for(dialect: str) -> CatalogSearch:
    return PostgresCatalogSearch() if dialect == "postgresql" else SqliteCatalogSearch()


# -- product pages ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProductPage:
    product_id: UUID
    name: str
    attributes: list[dict[str, Any]]
    content: dict[str, Any]
    artisan_id: UUID
    business_name: str
    town: str
    certifications: list[dict[str, Any]]


async def product_page(session: AsyncSession, product_id: UUID) -> ProductPage | None:
    """The product page of a listed product whose artisan is known; None otherwise."""
    row = (
        await session.execute(
            select(
                products.c.product_id,
                products.c.name,
                products.c.attributes,
                products.c.content,
                artisans.c.artisan_id,
                artisans.c.business_name,
                artisans.c.town,
                artisans.c.certifications,
            )
            .select_from(products.join(artisans, artisans.c.artisan_id == products.c.artisan_id))
            .where(products.c.product_id == product_id)
        )
    ).one_or_none()
    if row is None:
        return None
    return ProductPage(
        product_id=row.product_id,
        name=row.name,
        attributes=list(row.attributes),
        content=dict(row.content),
        artisan_id=row.artisan_id,
        business_name=row.business_name,
        town=row.town,
        certifications=list(row.certifications),
    )
