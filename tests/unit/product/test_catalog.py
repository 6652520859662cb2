"""The catalogue read model on SQLite (FTS5) and PostgreSQL (tsvector): the same suite, the same answers.

Facts arrive as the streams deliver them, in any order and more than once; the read model converges to
one state and the search answers with relevance, filters, facets (each without its own filter) and pages.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select

from a4co_sdk.models import artisan, common, inventory, product
from services.platform.database import Database
from services.product.adapters.catalog import CatalogWriter, SearchPage, catalog_search_for, product_page
from services.product.adapters.tables import (
    artisan_tiers,
    artisans,
    prices,
    products,
    search_documents,
    stock,
)
from services.product.domain.search import SearchQuery

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def onboarded(
    name: str, town: str, *, at: datetime = T0, artisan_id: UUID | None = None
) -> artisan.ArtisanOnboardingCompleted:
    return artisan.ArtisanOnboardingCompleted(
        artisan_id=artisan_id or uuid4(),
        business_info=artisan.BusinessInfo(
            business_name=name,
            legal_name=f"{name} S.L.",
            tax_id="B23000012",
            description="",
            town=town,
            province="Jaén",
            location=common.GeoPoint(latitude=37.99, longitude=-3.47),
            email="hola@taller.example",
        ),
        certifications=[
            artisan.Certification(
                name="DOP Sierra Mágina",
                issuer="Consejo Regulador DOP Sierra Mágina",
                type=artisan.CertificationType.PROTECTED_DESIGNATION_OF_ORIGIN,
                valid_from=T0,
            )
        ],
        product_categories=[common.ProductCategory.OLIVE_OIL],
        delivery_capabilities=artisan.DeliveryCapabilities(
            ships_nationwide=True,
            local_pickup=True,
            delivery_radius_km=50,
            average_preparation_days=2,
            monthly_capacity_units=500,
        ),
        completed_at=at,
        onboarding_score=90,
    )


def listed(
    maker: artisan.ArtisanOnboardingCompleted,
    name: str,
    price: str,
    *,
    category: str = "olive-oil",
    description: str = "",
    tags: tuple[str, ...] = (),
    attributes: tuple[tuple[str, str], ...] = (),
    stock_units: int = 10,
    at: datetime = T0,
    product_id: UUID | None = None,
) -> product.ProductListed:
    return product.ProductListed(
        product_id=product_id or uuid4(),
        artisan_id=maker.artisan_id,
        sku="SKU-001",
        name=name,
        description=description,
        category=common.ProductCategory(category),
        price=common.Money(amount=Decimal(price), currency="EUR"),
        unit_label="unidad",
        tags=[product.Tag(t) for t in tags],
        attributes=[product.ProductAttribute(name=n, value=v) for n, v in attributes],
        content=product.ProductContent(
            headline=name,
            story="Hecho en Jaén.",
            images=[product.ProductImage(url=f"https://cdn.a4co.example/p/{name[:5]}.jpg", alt=name)],
        ),
        initial_stock=stock_units,
        low_stock_threshold=2,
        listed_at=at,
    )


def level(product_id: UUID, available: int, version: int) -> inventory.StockLevel:
    return inventory.StockLevel(
        product_id=product_id, on_hand=available, reserved=0, available=available, version=version
    )


async def apply(db: Database, *facts: Any) -> None:
    """Each fact in its own transaction, as the consumers would apply them."""
    for fact in facts:
        async with db.transaction() as session:
            writer = CatalogWriter(session)
            if isinstance(fact, product.ProductListed):
                await writer.list_product(fact)
            elif isinstance(fact, product.ProductPriceChanged):
                await writer.change_price(fact)
            elif isinstance(fact, artisan.ArtisanOnboardingCompleted):
                await writer.onboard_artisan(fact)
            elif isinstance(fact, artisan.ArtisanPerformanceEvaluated):
                await writer.set_tier(fact)
            elif isinstance(fact, inventory.StockLevel):
                await writer.set_stock([fact])
            else:  # pragma: no cover - a test's mistake
                raise TypeError(fact)


async def search(db: Database, **arguments: Any) -> SearchPage:
    async with db.transaction(read_only=True) as session:
        return await catalog_search_for(db.dialect).search(session, SearchQuery.parse(**arguments))


def names(page: SearchPage) -> list[str]:
    return [hit.name for hit in page.hits]


def price_changed(item: product.ProductListed, new: str, at: datetime) -> product.ProductPriceChanged:
    return product.ProductPriceChanged(
        product_id=item.product_id,
        artisan_id=item.artisan_id,
        previous_price=item.price,
        new_price=common.Money(amount=Decimal(new), currency="EUR"),
        changed_at=at,
    )


def evaluated(
    maker: artisan.ArtisanOnboardingCompleted, tier: str, at: datetime
) -> artisan.ArtisanPerformanceEvaluated:
    return artisan.ArtisanPerformanceEvaluated(
        artisan_id=maker.artisan_id,
        period=common.DateRange(start=at - timedelta(days=30), end=at),
        metrics=artisan.PerformanceMetrics(
            orders_fulfilled=10,
            average_rating=4.5,
            on_time_delivery_rate=95,
            customer_satisfaction_score=90,
            revenue=common.Money(amount=Decimal("100.00"), currency="EUR"),
        ),
        tier=artisan.ArtisanTier(tier),
        recommendations=[],
        evaluated_at=at,
    )


@pytest.fixture
async def catalogue(db: Database) -> dict[str, Any]:
    """Three workshops in three towns and eight products across four categories."""
    magina = onboarded("Almazara Sierra Mágina", "Bedmar")
    alfar = onboarded("Alfar San Millán", "Úbeda")
    telares = onboarded("Telares de Baeza", "Baeza")
    items = {
        "picual": listed(
            magina,
            "Aceite de oliva virgen extra Picual 500 ml",
            "9.80",
            tags=("aove", "picual"),
            attributes=(("Variedad", "Picual"),),
        ),
        "lata": listed(magina, "Aceite de oliva virgen extra Picual, lata 2 l", "21.90", stock_units=0),
        "arbequina": listed(magina, "Aceite de oliva Arbequina 250 ml", "5.90", at=T0 + timedelta(hours=1)),
        "aceitera": listed(
            alfar,
            "Aceitera de cerámica verde",
            "29.00",
            category="ceramics",
            description="Para el aceite de oliva",
        ),
        "plato": listed(alfar, "Plato de cerámica verde de Úbeda 28 cm", "34.00", category="ceramics"),
        "lebrillo": listed(alfar, "Lebrillo vidriado 40 cm", "52.00", category="ceramics"),
        "manta": listed(telares, "Manta de telar de lana", "95.00", category="textiles"),
        "queso": listed(magina, "Queso de cabra curado en aceite 500 g", "14.50", category="food"),
    }
    await apply(db, magina, alfar, telares, *items.values())
    return {"magina": magina, "alfar": alfar, "telares": telares, **items}


async def test_full_text_finds_every_word_as_a_prefix_regardless_of_accents(
    db: Database, catalogue: dict[str, Any]
) -> None:
    page = await search(db, q="ACEITE picual")
    assert set(names(page)) == {catalogue["picual"].name, catalogue["lata"].name}
    # Prefixes, without accents, over the category's name and the maker's town too: the three pieces of
    # the alfar of Úbeda, the one with both words in its own name first.
    ubeda = await search(db, q="ceram ubeda")
    assert names(ubeda)[0] == catalogue["plato"].name
    assert set(names(ubeda)) == {catalogue[k].name for k in ("plato", "aceitera", "lebrillo")}
    assert page.total == 2


async def test_a_match_in_the_name_ranks_above_a_match_in_the_description(
    db: Database, catalogue: dict[str, Any]
) -> None:
    page = await search(db, q="oliva")  # in three names, and in the aceitera's description only
    ranked = names(page)
    assert ranked[-1] == catalogue["aceitera"].name
    assert len(ranked) == 4
    assert all(hit.score > 0 for hit in page.hits)
    assert [h.score for h in page.hits] == sorted((h.score for h in page.hits), reverse=True)


async def test_the_artisans_tier_lifts_an_equal_match(db: Database) -> None:
    bronze = onboarded("Almazara Uno", "Jódar")
    platinum = onboarded("Almazara Dos", "Jódar")
    first = listed(bronze, "Aceite Picual de Jódar", "9.00")
    second = listed(platinum, "Aceite Picual de Jódar", "9.00")
    await apply(db, bronze, platinum, first, second)
    await apply(db, evaluated(bronze, "bronze", T0), evaluated(platinum, "platinum", T0))
    page = await search(db, q="picual jodar")
    assert [h.product_id for h in page.hits] == [second.product_id, first.product_id]
    assert page.hits[0].score > page.hits[1].score
    browse = await search(db, town="Jódar")  # browsing by relevance: the better tier first too
    assert browse.hits[0].product_id == second.product_id


async def test_facets_count_the_matches_without_their_own_filter(
    db: Database, catalogue: dict[str, Any]
) -> None:
    page = await search(db, q="aceite", category="ceramics")
    assert names(page) == [catalogue["aceitera"].name]
    categories = {f.value: f.count for f in page.categories}
    assert categories == {"olive-oil": 3, "ceramics": 1, "food": 1}  # other categories stay visible
    assert {f.label for f in page.categories} >= {"Aceite de oliva", "Cerámica"}
    assert {f.value: f.count for f in page.towns} == {"Úbeda": 1}  # towns respect the category filter
    assert [(f.label, f.count) for f in page.artisans] == [("Alfar San Millán", 1)]


async def test_price_ranges_are_buckets_with_counts(db: Database, catalogue: dict[str, Any]) -> None:
    page = await search(db, min_price=Decimal(10), max_price=Decimal(60))
    assert {h.name for h in page.hits} == {
        catalogue[k].name for k in ("lata", "aceitera", "plato", "lebrillo", "queso")
    }
    buckets = [(bucket.label, count) for bucket, count in page.price_ranges]
    # The price facet ignores the price filter: all eight products, bucketed.
    assert buckets == [("Menos de 10 €", 2), ("De 10 a 25 €", 2), ("De 25 a 50 €", 2), ("50 € o más", 2)]


async def test_filters_combine(db: Database, catalogue: dict[str, Any]) -> None:
    magina: artisan.ArtisanOnboardingCompleted = catalogue["magina"]
    page = await search(db, artisan_id=magina.artisan_id, in_stock=True, category="olive-oil")
    assert set(names(page)) == {catalogue["picual"].name, catalogue["arbequina"].name}
    sold_out = await search(db, in_stock=False)
    assert names(sold_out) == [catalogue["lata"].name]
    assert sold_out.hits[0].in_stock is False
    assert names(await search(db, town="Baeza")) == [catalogue["manta"].name]
    assert (await search(db, town="baeza")).total == 0  # exact match, as the contract says


async def test_sorting_and_pages(db: Database, catalogue: dict[str, Any]) -> None:
    cheapest = await search(db, sort="price_asc", page_size=3)
    assert [h.price_cents for h in cheapest.hits] == [590, 980, 1450]
    assert cheapest.total == 8
    dearest = await search(db, sort="price_desc", page_size=2)
    assert [h.price_cents for h in dearest.hits] == [9500, 5200]
    newest = await search(db, sort="newest", page_size=1)
    assert names(newest) == [catalogue["arbequina"].name]
    pages = [await search(db, sort="price_asc", page=n, page_size=3) for n in (1, 2, 3)]
    seen = [hit.product_id for page in pages for hit in page.hits]
    assert len(seen) == len(set(seen)) == 8
    assert (await search(db, page=5, page_size=3)).hits == []


async def test_a_query_without_searchable_words_matches_nothing(
    db: Database, catalogue: dict[str, Any]
) -> None:
    page = await search(db, q="¿?")
    assert (page.total, page.hits, page.categories) == (0, [], [])
    assert [count for _, count in page.price_ranges] == [0, 0, 0, 0]


async def test_a_product_is_searchable_once_its_maker_is_known(db: Database) -> None:
    """Listings may arrive before the onboarding (another stream): the product waits for its maker."""
    maker = onboarded("Tallas de Cazorla", "Cazorla")
    tabla = listed(maker, "Tabla de cortar de olivo", "29.00", category="wood")
    await apply(db, tabla)
    assert (await search(db, q="tabla")).total == 0
    await apply(db, maker)
    page = await search(db, q="tallas cazorla")  # found by the maker's name and town, indexed later
    assert [(h.name, h.artisan_name, h.town) for h in page.hits] == [
        (tabla.name, "Tallas de Cazorla", "Cazorla")
    ]


async def test_the_newest_price_wins_whatever_the_order(db: Database) -> None:
    maker = onboarded("Almazara", "Martos")
    item = listed(maker, "Aceite Picual", "9.80", at=T0)
    later = price_changed(item, "11.20", T0 + timedelta(days=1))
    await apply(db, maker, later, item)  # the change arrives before the listing it changes
    assert (await search(db, q="picual")).hits[0].price_cents == 1120
    await apply(db, price_changed(item, "10.00", T0 + timedelta(hours=1)))  # an older change, late
    assert (await search(db, q="picual")).hits[0].price_cents == 1120
    await apply(db, price_changed(item, "12.00", T0 + timedelta(days=2)))
    assert (await search(db, q="picual")).hits[0].price_cents == 1200


async def test_stock_keeps_the_highest_version(db: Database) -> None:
    maker = onboarded("Almazara", "Martos")
    item = listed(maker, "Aceite Picual", "9.80", stock_units=5)
    await apply(db, level(item.product_id, 0, 3), maker, item)  # stock known before the listing
    assert (await search(db, q="picual")).hits[0].in_stock is False
    await apply(db, level(item.product_id, 7, 2))  # an older level, redelivered late
    assert (await search(db, q="picual")).hits[0].in_stock is False
    await apply(db, level(item.product_id, 4, 4))
    assert (await search(db, q="picual")).hits[0].in_stock is True


async def test_an_older_listing_does_not_undo_a_newer_one(db: Database) -> None:
    maker = onboarded("Almazara", "Martos")
    first = listed(maker, "Aceite Picual", "9.80", at=T0)
    relisted = listed(
        maker, "Aceite Picual ecológico", "12.50", at=T0 + timedelta(days=3), product_id=first.product_id
    )
    await apply(db, maker, relisted, first)
    page = await search(db, q="aceite")
    assert [(h.name, h.price_cents) for h in page.hits] == [("Aceite Picual ecológico", 1250)]
    assert (await search(db, q="ecologico")).total == 1


async def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    async with db.transaction(read_only=True) as session:
        state = {}
        for table in (products, prices, stock, artisans, artisan_tiers):
            state[table.name] = sorted(tuple(row) for row in await session.execute(select(table)))
        docs = search_documents.c
        state["search"] = sorted(
            tuple(row)
            for row in await session.execute(
                select(docs.product_id, docs.name, docs.keywords, docs.maker, docs.body)
            )
        )
    return state


async def test_applying_everything_twice_changes_nothing(db: Database, catalogue: dict[str, Any]) -> None:
    before = await snapshot(db)
    first_search = await search(db, q="aceite")
    facts = list(catalogue.values())
    await apply(db, *reversed(facts))
    assert await snapshot(db) == before
    again = await search(db, q="aceite")
    assert [(h.product_id, h.score) for h in again.hits] == [
        (h.product_id, h.score) for h in first_search.hits
    ]


async def test_the_product_page(db: Database, catalogue: dict[str, Any]) -> None:
    item: product.ProductListed = catalogue["picual"]
    async with db.transaction(read_only=True) as session:
        page = await product_page(session, item.product_id)
        missing = await product_page(session, uuid4())
    assert page is not None
    assert (page.name, page.business_name, page.town) == (item.name, "Almazara Sierra Mágina", "Bedmar")
    assert page.content["headline"] == item.content.headline
    assert page.certifications[0]["name"] == "DOP Sierra Mágina"
    assert page.attributes == [{"name": "Variedad", "value": "Picual"}]
    assert missing is None
