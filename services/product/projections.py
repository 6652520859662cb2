"""The product service's read models, for the projection framework and `a4co projections`."""

from services.platform.projections import Projection
from services.product.adapters.tables import (
    artisan_tiers,
    artisans,
    prices,
    products,
    search_documents,
    stock,
)

__all__ = ["CATALOG", "PROJECTIONS"]

CATALOG = Projection(
    name="product-catalog",
    service="product",
    consumers=(
        "product-catalog-projection",
        "product-on-artisan-onboarding-completed",
        "product-on-artisan-performance-evaluated",
        "product-on-inventory-stock-adjusted",
        "product-on-inventory-stock-reported",
    ),
    tables=(products, prices, stock, artisans, artisan_tiers, search_documents),
    description="Search, facets and product pages: listings, prices, stock, makers and their tiers.",
)

PROJECTIONS = (CATALOG,)
