"""The artisan service's use cases: its read models, the geo search and the periodic evaluation.

Projection handlers are plain functions of (message, unit of work); the batch records each message in
the inbox in the same transaction, and the repositories guard every write with a business id (order,
split, onboarding time), so redelivered or reordered messages leave the same state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from a4co_sdk.models import artisan, common, order, payment
from a4co_sdk.publishers.artisan import ArtisanPublishers
from services.artisan.adapters.directory import ArtisanDirectory, ArtisanOrders
from services.artisan.domain.performance import EVALUATION_PERIOD, Activity, Evaluation, evaluate
from services.platform.database import Database
from services.platform.unit_of_work import UnitOfWork

__all__ = [
    "Evaluated",
    "evaluate_performance",
    "geo_search",
    "record_onboarding",
    "record_order_created",
    "record_order_state",
    "record_payment_split",
]


async def record_onboarding(message: artisan.ArtisanOnboardingCompleted, uow: UnitOfWork) -> None:
    await ArtisanDirectory(uow.session).onboard(message)


async def record_order_created(message: order.OrderCreated, uow: UnitOfWork) -> None:
    """The order's lines per artisan: what each artisan has to prepare (their open orders)."""
    await ArtisanOrders(uow.session).record_order(message)


async def record_order_state(message: order.OrderStateChanged, uow: UnitOfWork) -> None:
    """Where the order is: fulfilled, delivered (on time or not) or cancelled, for the evaluation."""
    await ArtisanOrders(uow.session).record_state(message)


async def record_payment_split(message: payment.PaymentSplitCreated, uow: UnitOfWork) -> None:
    """The artisans' earnings: their shares of the captured payment."""
    await ArtisanOrders(uow.session).record_split(message)


async def geo_search(
    db: Database, latitude: float, longitude: float, radius_km: float, category: str | None, limit: int
) -> artisan.GeoSearchResult:
    async with db.transaction(read_only=True) as session:
        matches = await ArtisanDirectory(session).near(latitude, longitude, radius_km, category=category)
    return artisan.GeoSearchResult(
        results=[
            artisan.ArtisanGeoMatch(
                artisan_id=m.entry.artisan_id,
                business_name=m.entry.business_name,
                town=m.entry.town,
                categories=[common.ProductCategory(c) for c in m.entry.categories],
                location=common.GeoPoint(latitude=m.entry.latitude, longitude=m.entry.longitude),
                distance_km=round(m.distance_km, 2),
            )
            for m in matches[:limit]
        ],
        total=len(matches),
    )


@dataclass(frozen=True, slots=True)
class Evaluated:
    """An evaluation that was published, for the business metric."""

    artisan_id: str
    category: str
    evaluation: Evaluation


def evaluation_id(artisan_id: UUID, evaluated_at: datetime) -> UUID:
    """The event id of one evaluation: a timer that fires twice for one instant publishes it once."""
    return uuid5(
        NAMESPACE_URL, f"https://a4co.example/artisans/{artisan_id}/evaluations/{evaluated_at.isoformat()}"
    )


async def evaluate_performance(
    uow: UnitOfWork, publishers: ArtisanPublishers, now: datetime
) -> list[Evaluated]:
    """Evaluate every onboarded artisan over the last 30 days and publish `artisan.performance.evaluated`."""
    directory = await ArtisanDirectory(uow.session).entries()
    if not directory:
        return []
    start = now - EVALUATION_PERIOD
    activity = await ArtisanOrders(uow.session).activity(start, now)
    evaluated = []
    for artisan_id, entry in sorted(directory.items(), key=lambda kv: str(kv[0])):
        result = evaluate(activity.get(artisan_id, Activity()), now)
        event = artisan.ArtisanPerformanceEvaluated(
            artisan_id=artisan_id,
            period=common.DateRange(start=result.period_start, end=result.period_end),
            metrics=artisan.PerformanceMetrics(
                orders_fulfilled=result.orders_fulfilled,
                average_rating=result.average_rating,
                on_time_delivery_rate=result.on_time_delivery_rate,
                customer_satisfaction_score=result.customer_satisfaction_score,
                revenue=common.Money(amount=_euros(result.revenue_cents), currency="EUR"),
            ),
            tier=artisan.ArtisanTier(result.tier),
            recommendations=[artisan.Recommendation(r[:500]) for r in result.recommendations],
            evaluated_at=now,
        )
        uow.publish(
            publishers.artisan_performance_evaluated.prepare(
                event,
                message_id=evaluation_id(artisan_id, now),
                occurred_at=now,
            )
        )
        evaluated.append(Evaluated(str(artisan_id), entry.categories[0] if entry.categories else "", result))
    return evaluated


def _euros(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))
