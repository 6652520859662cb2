"""The periodic evaluation of an artisan: metrics of the last 30 days, a score and a tier. Pure.

What the contract's metrics mean here (nothing in the streams carries customer reviews yet):

- ordersFulfilled: the period's orders with the artisan's products that reached `confirmed` or beyond.
- customerSatisfactionScore: the share of the artisan's finished orders (fulfilled or cancelled) that
  were not cancelled, as a percentage; 100 when none finished.
- averageRating: the satisfaction score on the 0-5 scale (score / 20), until a review event exists.
- onTimeDeliveryRate: the share of delivered orders delivered by the end of the estimated delivery
  window of their `order.created`; 100 when none was delivered (no late delivery).
- revenue: the artisan's shares of the period's payment splits.

Score (0-100) = 50% satisfaction + 30% on-time rate + 20% volume (5 points per fulfilled order, at most
100). Tiers, highest first:

| tier     | score | fulfilled orders |
|----------|-------|------------------|
| platinum | >= 90 | >= 20            |
| gold     | >= 80 | >= 10            |
| silver   | >= 65 | >= 3             |
| bronze   | any   | any              |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["EVALUATION_PERIOD", "TIERS", "Activity", "Evaluation", "evaluate"]

EVALUATION_PERIOD = timedelta(days=30)

TIERS = (("platinum", 90.0, 20), ("gold", 80.0, 10), ("silver", 65.0, 3))
RANKS = ("bronze", "silver", "gold", "platinum")
VOLUME_POINTS_PER_ORDER = 5.0
OPEN_ORDERS_WARNING = 10


@dataclass(frozen=True, slots=True)
class Activity:
    """What one artisan did in the period, as the read model counts it."""

    orders: int = 0
    fulfilled: int = 0
    cancelled: int = 0
    delivered: int = 0
    delivered_on_time: int = 0
    open_orders: int = 0
    """Orders not delivered nor cancelled yet, whenever they were placed."""
    revenue_cents: int = 0


@dataclass(frozen=True, slots=True)
class Evaluation:
    period_start: datetime
    period_end: datetime
    orders_fulfilled: int
    average_rating: float
    on_time_delivery_rate: float
    customer_satisfaction_score: float
    revenue_cents: int
    score: float
    tier: str
    recommendations: tuple[str, ...]


def _tier(score: float, fulfilled: int) -> str:
    for tier, minimum_score, minimum_orders in TIERS:
        if score >= minimum_score and fulfilled >= minimum_orders:
            return tier
    return "bronze"


def evaluate(activity: Activity, now: datetime) -> Evaluation:
    finished = activity.fulfilled + activity.cancelled
    satisfaction = 100.0 * activity.fulfilled / finished if finished else 100.0
    on_time = 100.0 * activity.delivered_on_time / activity.delivered if activity.delivered else 100.0
    volume = min(100.0, VOLUME_POINTS_PER_ORDER * activity.fulfilled)
    score = round(0.5 * satisfaction + 0.3 * on_time + 0.2 * volume, 2)
    tier = _tier(score, activity.fulfilled)
    recommendations = []
    if activity.orders == 0:
        recommendations.append(
            "No has tenido pedidos en los últimos 30 días: añade fotos y una buena historia a tus productos."
        )
    if finished and satisfaction < 90:
        recommendations.append(
            f"El {100 - satisfaction:.0f}% de tus pedidos se canceló: "
            "revisa tu stock y los plazos de preparación."
        )
    if activity.delivered and on_time < 95:
        recommendations.append(
            f"Solo el {on_time:.0f}% de tus entregas llegó a tiempo: ajusta tus días de preparación."
        )
    if activity.open_orders >= OPEN_ORDERS_WARNING:
        recommendations.append(f"Tienes {activity.open_orders} pedidos abiertos: prioriza su preparación.")
    if tier != "platinum":
        target = RANKS[RANKS.index(tier) + 1]
        _, minimum_score, minimum_orders = next(t for t in TIERS if t[0] == target)
        needs = []
        if score < minimum_score:
            needs.append(f"una puntuación de {minimum_score:.0f} (tienes {score:.0f})")
        if activity.fulfilled < minimum_orders:
            needs.append(f"{minimum_orders - activity.fulfilled} pedidos completados más")
        recommendations.append(f"Para subir a {target} necesitas " + " y ".join(needs) + ".")
    return Evaluation(
        period_start=now - EVALUATION_PERIOD,
        period_end=now,
        orders_fulfilled=activity.fulfilled,
        average_rating=round(satisfaction / 20, 2),
        on_time_delivery_rate=round(on_time, 2),
        customer_satisfaction_score=round(satisfaction, 2),
        revenue_cents=activity.revenue_cents,
        score=score,
        tier=tier,
        recommendations=tuple(recommendations),
    )
