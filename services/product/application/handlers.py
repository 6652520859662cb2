"""The product service's use cases: keep the catalogue read model, answer searches and product pages.

Projection handlers are plain functions of (message, unit of work): the batch that runs them records the
message in the inbox in the same transaction, and every write is guarded by a business fact (listing
time, price time, stock version, evaluation time), so a message applied twice, late or out of order
leaves the same read model.

Queries read the read model in a read-only transaction, through the answer cache.
"""

from __future__ import annotations

from uuid import UUID

from a4co_sdk.models import artisan, common, inventory, product
from services.platform.database import Database
from services.platform.unit_of_work import UnitOfWork
from services.product.adapters.cache import AnswerCache
from services.product.adapters.catalog import CatalogSearch, CatalogWriter, SearchPage, product_page
from services.product.domain.search import SearchQuery, euros

__all__ = [
    "apply_artisan_onboarded",
    "apply_performance_evaluated",
    "apply_price_changed",
    "apply_product_listed",
    "apply_stock_adjusted",
    "apply_stock_reported",
    "product_content",
    "search_products",
]


async def apply_product_listed(message: product.ProductListed, uow: UnitOfWork) -> None:
    await CatalogWriter(uow.session).list_product(message)


async def apply_price_changed(message: product.ProductPriceChanged, uow: UnitOfWork) -> None:
    await CatalogWriter(uow.session).change_price(message)


async def apply_stock_adjusted(message: inventory.StockAdjusted, uow: UnitOfWork) -> None:
    await CatalogWriter(uow.session).set_stock([message.stock_level])


async def apply_stock_reported(message: inventory.StockReported, uow: UnitOfWork) -> None:
    """A chunk of inventory's daily report: every level in it, each under its version guard."""
    await CatalogWriter(uow.session).set_stock(message.levels)


async def apply_artisan_onboarded(message: artisan.ArtisanOnboardingCompleted, uow: UnitOfWork) -> None:
    """The maker's name and town for results, facets and full text, and certifications for pages."""
    await CatalogWriter(uow.session).onboard_artisan(message)


async def apply_performance_evaluated(message: artisan.ArtisanPerformanceEvaluated, uow: UnitOfWork) -> None:
    """The artisan's tier lifts the relevance of their products (see `TIER_BOOST`)."""
    await CatalogWriter(uow.session).set_tier(message)


def _result(query: SearchQuery, page: SearchPage) -> product.SearchResult:
    return product.SearchResult(
        items=[
            product.ProductSummary(
                product_id=hit.product_id,
                name=hit.name,
                category=common.ProductCategory(hit.category),
                price=common.Money(amount=euros(hit.price_cents), currency=hit.currency),
                artisan_id=hit.artisan_id,
                artisan_name=hit.artisan_name,
                town=hit.town,
                in_stock=hit.in_stock,
                score=hit.score,
                image_url=hit.image_url,
            )
            for hit in page.hits
        ],
        total=page.total,
        page=query.page,
        page_size=query.page_size,
        facets=product.SearchFacets(
            category=[
                product.FacetCount(value=f.value, label=f.label, count=f.count) for f in page.categories
            ],
            price_range=[
                product.PriceRangeFacet(
                    label=bucket.label,
                    min=euros(bucket.min_cents),
                    max=euros(bucket.max_cents) if bucket.max_cents is not None else None,
                    count=count,
                )
                for bucket, count in page.price_ranges
            ],
            artisan=[product.FacetCount(value=f.value, label=f.label, count=f.count) for f in page.artisans],
            town=[product.FacetCount(value=f.value, label=f.label, count=f.count) for f in page.towns],
        ),
    )


async def search_products(
    query: SearchQuery, db: Database, search: CatalogSearch, cache: AnswerCache
) -> product.SearchResult:
    key = query.cache_key()
    cached = await cache.get("search", key)
    if cached.answer is not None:
        return product.SearchResult.model_validate_json(cached.answer)
    async with db.transaction(read_only=True) as session:
        page = await search.search(session, query)
    result = _result(query, page)
    answer = result.model_dump_json(by_alias=True, exclude_none=True).encode()
    await cache.put("search", key, answer, seen=cached)
    return result


async def product_content(
    product_id: UUID, db: Database, cache: AnswerCache
) -> product.ProductPageContent | None:
    """The product page; None when the product is not listed or its artisan is not known yet."""
    key = str(product_id)
    cached = await cache.get("content", key)
    if cached.answer is not None:
        return product.ProductPageContent.model_validate_json(cached.answer)
    async with db.transaction(read_only=True) as session:
        page = await product_page(session, product_id)
    if page is None:
        return None
    content = product.ProductPageContent.model_validate(
        {
            **page.content,
            "productId": str(page.product_id),
            "name": page.name,
            "attributes": page.attributes,
            "artisan": {
                "artisanId": str(page.artisan_id),
                "businessName": page.business_name,
                "town": page.town,
                "certifications": page.certifications,
            },
        }
    )
    answer = content.model_dump_json(by_alias=True, exclude_none=True).encode()
    await cache.put("content", key, answer, seen=cached)
    return content
