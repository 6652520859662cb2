"""The analytics service's read model, for the projection framework and `a4co projections`."""

from services.analytics.adapters.facts import TABLES
from services.platform.projections import Projection

__all__ = ["PROJECTIONS", "REAL_TIME"]

REAL_TIME = Projection(
    name="analytics-real-time",
    service="analytics",
    consumers=(
        "analytics-on-order-created",
        "analytics-on-order-state-changed",
        "analytics-on-payment-succeeded",
        "analytics-on-payment-failed",
        "analytics-on-payment-split-created",
        "analytics-on-payment-refunded",
        "analytics-on-user-behavior-tracked",
        "analytics-on-user-segment-changed",
        "analytics-on-artisan-onboarding-completed",
        "analytics-on-artisan-performance-evaluated",
        "analytics-on-product-listed",
        "analytics-on-notification-scheduled",
        "analytics-on-notification-batch-processed",
        "analytics-on-delivery-scheduled",
    ),
    tables=TABLES,
    description="Per-minute buckets of orders, revenue, sessions and sales, with the names they show.",
)

PROJECTIONS = (REAL_TIME,)
