"""The evaluation's metrics and tiers (thresholds in services/artisan/domain/performance.py)."""

from datetime import UTC, datetime

import pytest

from services.artisan.domain.performance import EVALUATION_PERIOD, Activity, evaluate

NOW = datetime(2026, 11, 27, 10, tzinfo=UTC)


def test_an_artisan_without_orders_is_bronze_and_is_told_why() -> None:
    result = evaluate(Activity(), NOW)
    assert (result.tier, result.orders_fulfilled, result.score) == ("bronze", 0, 80.0)
    assert (result.period_start, result.period_end) == (NOW - EVALUATION_PERIOD, NOW)
    assert any("No has tenido pedidos" in r for r in result.recommendations)
    assert any("silver" in r and "3 pedidos" in r for r in result.recommendations)


@pytest.mark.parametrize(
    ("activity", "tier"),
    [
        (Activity(orders=25, fulfilled=20, delivered=20, delivered_on_time=20), "platinum"),
        (
            Activity(orders=19, fulfilled=19, delivered=19, delivered_on_time=19),
            "gold",
        ),  # too few for platinum
        (Activity(orders=28, fulfilled=20, cancelled=8, delivered=20, delivered_on_time=20), "gold"),  # 85.7
        (Activity(orders=10, fulfilled=10), "gold"),
        (Activity(orders=3, fulfilled=3), "silver"),
        (Activity(orders=10, fulfilled=5, cancelled=5), "bronze"),  # score 60
    ],
)
def test_tiers_follow_score_and_volume(activity: Activity, tier: str) -> None:
    assert evaluate(activity, NOW).tier == tier


def test_metrics_are_what_the_activity_says() -> None:
    result = evaluate(
        Activity(orders=12, fulfilled=9, cancelled=1, delivered=8, delivered_on_time=6, revenue_cents=45_900),
        NOW,
    )
    assert result.customer_satisfaction_score == 90.0
    assert result.average_rating == 4.5
    assert result.on_time_delivery_rate == 75.0
    assert result.revenue_cents == 45_900
    assert result.score == pytest.approx(0.5 * 90 + 0.3 * 75 + 0.2 * 45)
    assert any("75% de tus entregas" in r for r in result.recommendations)


def test_many_open_orders_are_flagged() -> None:
    result = evaluate(Activity(orders=12, fulfilled=2, open_orders=10), NOW)
    assert any("10 pedidos abiertos" in r for r in result.recommendations)
