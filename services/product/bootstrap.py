"""Composition root of the product service."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from a4co_sdk import Received
from a4co_sdk._runtime.http_server import HttpProblem, HttpResponse
from a4co_sdk._runtime.subscribing import Outcome
from a4co_sdk.models import artisan, common, inventory, product
from a4co_sdk.servers.product import ProductApi, app
from a4co_sdk.subscribers.product import ProductHandlers, routes
from services.platform.database import Database
from services.platform.kit import Kit
from services.platform.probes import Probes
from services.platform.projections import Projection, ProjectionHost
from services.platform.runner import Runtime, Service
from services.platform.unit_of_work import current_unit_of_work
from services.product.adapters.cache import AnswerCache, RedisAnswerCache
from services.product.adapters.catalog import CatalogSearch, catalog_search_for
from services.product.application import handlers
from services.product.domain.search import InvalidSearchError, SearchQuery
from services.product.projections import PROJECTIONS


class Api(Probes, ProductApi):
    def __init__(self, kit: Kit, db: Database, search: CatalogSearch, cache: AnswerCache) -> None:
        self.service_name = kit.name
        self.metrics = kit.runtime.metrics
        self.readiness_checks = kit.readiness
        self._db = db
        self._search = search
        self._cache = cache

    async def search_products(
        self,
        *,
        q: str | None,
        category: common.ProductCategory | None,
        min_price: Decimal | None,
        max_price: Decimal | None,
        artisan_id: UUID | None,
        town: str | None,
        in_stock: bool | None,
        page: int,
        page_size: int,
        sort: product.SearchSort,
        x_request_id: str | None,
    ) -> product.SearchResult | HttpResponse:
        try:
            query = SearchQuery.parse(
                q=q,
                category=category.value if category is not None else None,
                min_price=min_price,
                max_price=max_price,
                artisan_id=artisan_id,
                town=town,
                in_stock=in_stock,
                page=page,
                page_size=page_size,
                sort=sort.value,
            )
        except InvalidSearchError as exc:
            raise HttpProblem(400, detail=str(exc)) from None
        return await handlers.search_products(query, self._db, self._search, self._cache)

    async def get_product_content(
        self, *, product_id: UUID, x_request_id: str | None
    ) -> product.ProductPageContent | HttpResponse:
        content = await handlers.product_content(product_id, self._db, self._cache)
        if content is None:
            raise HttpProblem(404, detail=f"no product {product_id} in the catalogue")
        return content


class Handlers(ProductHandlers):
    async def on_stock_adjusted(
        self, message: inventory.StockAdjusted, received: Received[inventory.StockAdjusted]
    ) -> None:
        await handlers.apply_stock_adjusted(message, current_unit_of_work())

    async def on_stock_reported(
        self, message: inventory.StockReported, received: Received[inventory.StockReported]
    ) -> None:
        await handlers.apply_stock_reported(message, current_unit_of_work())

    async def on_artisan_onboarding_completed(
        self,
        message: artisan.ArtisanOnboardingCompleted,
        received: Received[artisan.ArtisanOnboardingCompleted],
    ) -> None:
        await handlers.apply_artisan_onboarded(message, current_unit_of_work())

    async def on_artisan_performance_evaluated(
        self,
        message: artisan.ArtisanPerformanceEvaluated,
        received: Received[artisan.ArtisanPerformanceEvaluated],
    ) -> None:
        await handlers.apply_performance_evaluated(message, current_unit_of_work())

    async def on_product_listed(
        self, message: product.ProductListed, received: Received[product.ProductListed]
    ) -> None:
        await handlers.apply_product_listed(message, current_unit_of_work())

    async def on_product_price_changed(
        self, message: product.ProductPriceChanged, received: Received[product.ProductPriceChanged]
    ) -> None:
        await handlers.apply_price_changed(message, current_unit_of_work())


async def build(runtime: Runtime) -> Service:
    kit = await Kit.open(runtime)
    await kit.create_tables()
    assert kit.db is not None
    cache = RedisAnswerCache(runtime.redis)

    async def invalidate(_outcomes: Sequence[Outcome] | Projection) -> None:
        await cache.invalidate()

    host = ProjectionHost.from_kit(kit, PROJECTIONS, after_batch=invalidate, on_rebuilt=invalidate)
    api = Api(kit, kit.db, catalog_search_for(kit.db.dialect), cache)
    consumers = host.consumers(routes(Handlers()))
    background: dict[str, Any] = host.background()
    return kit.service(kit.http(app, api), consumers, background=background)
