"""The artisan service's read models, for the projection framework and `a4co projections`."""

from services.artisan.adapters.directory import categories, directory, earnings, order_lines, order_states
from services.platform.projections import Projection

__all__ = ["DIRECTORY", "ORDERS", "PROJECTIONS"]

DIRECTORY = Projection(
    name="artisan-directory",
    service="artisan",
    consumers=("artisan-on-artisan-onboarding-completed",),
    tables=(directory, categories),
    description="Workshops with their coordinates and categories, for the geo search.",
)

ORDERS = Projection(
    name="artisan-orders",
    service="artisan",
    consumers=(
        "artisan-on-order-created",
        "artisan-on-order-state-changed",
        "artisan-on-payment-split-created",
    ),
    tables=(order_lines, order_states, earnings),
    description=(
        "Each artisan's orders, their progress and earnings, for the evaluation (ORDERS keeps 30 days, "
        "the evaluation's period)."
    ),
)

PROJECTIONS = (DIRECTORY, ORDERS)
