"""The product service: catalogue search and product pages, answered from the catalogue read model."""

from services.platform.runner import main
from services.product.bootstrap import build

main("product", build)
