"""Search and product pages through the answer cache: served from it until the catalogue changes."""

from decimal import Decimal
from uuid import uuid4

from a4co_sdk.models import product
from services.platform.database import Database
from services.product.adapters.cache import InMemoryAnswerCache
from services.product.adapters.catalog import catalog_search_for
from services.product.application.handlers import product_content, search_products
from services.product.domain.search import SearchQuery

from .test_catalog import apply, listed, onboarded, price_changed


async def test_a_cached_search_is_served_until_the_catalogue_changes(db: Database) -> None:
    maker = onboarded("Almazara Sierra Mágina", "Bedmar")
    item = listed(maker, "Aceite de oliva virgen extra Picual 500 ml", "9.80")
    await apply(db, maker, item)
    cache = InMemoryAnswerCache()
    search = catalog_search_for(db.dialect)
    query = SearchQuery.parse(q="picual")

    first = await search_products(query, db, search, cache)
    assert first.items[0].price.amount == Decimal("9.80")
    assert first.facets.price_range[0].label == "Menos de 10 €"
    assert len(cache.entries) == 1

    await apply(db, price_changed(item, "12.00", item.listed_at.replace(year=2027)))
    cached = await search_products(query, db, search, cache)
    assert cached == first  # not invalidated yet: the answer of the version it was computed for

    await cache.invalidate()  # what applying the event's batch does after its commit
    fresh = await search_products(query, db, search, cache)
    assert fresh.items[0].price.amount == Decimal("12.00")
    assert fresh.facets.price_range[1].count == 1


async def test_the_product_page_and_an_unknown_product(db: Database) -> None:
    maker = onboarded("Alfar San Millán", "Úbeda")
    item = listed(maker, "Plato de cerámica verde", "34.00", category="ceramics")
    await apply(db, maker, item)
    cache = InMemoryAnswerCache()
    page = await product_content(item.product_id, db, cache)
    assert isinstance(page, product.ProductPageContent)
    assert (page.name, page.artisan.business_name, page.artisan.town) == (
        item.name,
        "Alfar San Millán",
        "Úbeda",
    )
    assert page.headline == item.content.headline
    assert str(page.images[0].url).startswith("https://cdn.a4co.example/")
    assert await product_content(item.product_id, db, cache) == page  # from the cache now
    assert await product_content(uuid4(), db, cache) is None
