"""The geo directory and artisans' orders on SQLite and PostgreSQL, and the evaluation they feed."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast
from uuid import UUID, uuid4

import orjson
from nats.js import JetStreamContext
from sqlalchemy import select

from a4co.seed.artisans import ARTISANS, onboarding_event
from a4co_sdk.models import artisan, common, order, payment
from a4co_sdk.publishers.artisan import ArtisanPublishers
from services.artisan.adapters.directory import ArtisanDirectory, ArtisanOrders
from services.artisan.application.handlers import evaluate_performance, geo_search
from services.platform.database import Database
from services.platform.outbox import outbox
from services.platform.unit_of_work import SqlUnitOfWork

NOW = datetime(2026, 11, 27, 10, tzinfo=UTC)
BAEZA = (37.9936, -3.4708)


async def seed_directory(db: Database) -> None:
    async with db.transaction() as session:
        directory = ArtisanDirectory(session)
        for index, seed in enumerate(ARTISANS):
            await directory.onboard(onboarding_event(seed, index))


async def test_geo_search_is_sorted_by_distance_within_the_radius(db: Database) -> None:
    await seed_directory(db)
    result = await geo_search(db, *BAEZA, radius_km=25, category=None, limit=100)
    distances = [m.distance_km for m in result.results]
    assert distances == sorted(distances)
    assert all(d <= 25 for d in distances)
    assert result.total == len(result.results) > 5
    towns = {m.town for m in result.results}
    assert {"Baeza", "Úbeda", "Bedmar", "Sabiote", "Torreperogil"} <= towns
    assert "Cazorla" not in towns  # 42 km away
    assert result.results[0].town == "Baeza"


async def test_geo_search_filters_by_category_and_limits(db: Database) -> None:
    await seed_directory(db)
    ceramics = await geo_search(db, *BAEZA, radius_km=60, category="ceramics", limit=3)
    assert len(ceramics.results) == 3
    assert ceramics.total > 3
    assert all(common.ProductCategory.CERAMICS in m.categories for m in ceramics.results)
    assert ceramics.results[0].business_name in {"Alfar San Millán", "Alfarería Cuesta de la Merced"}
    nothing = await geo_search(db, 40.4168, -3.7038, radius_km=100, category=None, limit=20)  # Madrid
    assert (nothing.total, nothing.results) == (0, [])


async def test_the_exact_distance_decides_at_the_edge_of_the_box(db: Database) -> None:
    """A workshop inside the bounding box's corner but outside the circle is left out."""
    await seed_directory(db)
    everything = await geo_search(db, *BAEZA, radius_km=200, category=None, limit=100)
    beyond = [m for m in everything.results if m.distance_km > 30]
    edge = min(m.distance_km for m in beyond)
    inside = await geo_search(db, *BAEZA, radius_km=edge, category=None, limit=100)
    outside = await geo_search(db, *BAEZA, radius_km=edge - 0.01, category=None, limit=100)
    assert inside.total == outside.total + 1


async def test_the_newest_onboarding_wins_and_replaces_the_categories(db: Database) -> None:
    first = onboarding_event(ARTISANS[0], 0)
    moved = first.model_copy(
        update={
            "product_categories": [common.ProductCategory.FOOD],
            "completed_at": first.completed_at + timedelta(days=1),
        }
    )
    async with db.transaction() as session:
        await ArtisanDirectory(session).onboard(moved)
        await ArtisanDirectory(session).onboard(first)  # older, redelivered late
    food = await geo_search(db, 37.821, -3.413, radius_km=5, category="food", limit=10)
    oil = await geo_search(db, 37.821, -3.413, radius_km=5, category="olive-oil", limit=10)
    assert [m.artisan_id for m in food.results] == [first.artisan_id]
    assert oil.total == 0


def order_created(artisans: dict[UUID, int], *, at: datetime, due: datetime) -> order.OrderCreated:
    price = common.Money(amount=Decimal("10.00"), currency="EUR")
    items = [
        order.OrderItem(product_id=uuid4(), artisan_id=artisan_id, quantity=units, unit_price=price)
        for artisan_id, units in artisans.items()
    ]
    items.append(order.OrderItem(product_id=uuid4(), quantity=1, unit_price=price))  # no artisan: not theirs
    return order.OrderCreated(
        order_id=uuid4(),
        customer_id=uuid4(),
        items=items,
        total_amount=common.Money(amount=Decimal("50.00"), currency="EUR"),
        delivery_address=common.Address(
            recipient_name="María López",
            street="Calle Real 1",
            postal_code="23400",
            city="Úbeda",
            province="Jaén",
            country="ES",
        ),
        estimated_delivery=common.DateRange(start=at, end=due),
        created_at=at,
    )


def state(order_id: UUID, previous: str, current: str, at: datetime) -> order.OrderStateChanged:
    return order.OrderStateChanged(
        order_id=order_id,
        previous_state=order.OrderState(previous),
        current_state=order.OrderState(current),
        reason="saga",
        changed_by="order",
        changed_at=at,
    )


def split(order_id: UUID, shares: dict[str, tuple[str, str]], at: datetime) -> payment.PaymentSplitCreated:
    return payment.PaymentSplitCreated(
        split_id=uuid4(),
        payment_id=uuid4(),
        order_id=order_id,
        splits=[
            payment.PaymentSplitShare(
                recipient_id=recipient,
                recipient_type=payment.RecipientType(kind),
                amount=common.Money(amount=Decimal(amount), currency="EUR"),
                percentage=10,
            )
            for recipient, (kind, amount) in shares.items()
        ],
        total_amount=common.Money(amount=Decimal("50.00"), currency="EUR"),
        created_at=at,
    )


async def test_orders_progress_and_earnings_in_any_order(db: Database) -> None:
    maker, other = uuid4(), uuid4()
    t = NOW - timedelta(days=3)
    delivered_on_time = order_created({maker: 2, other: 1}, at=t, due=t + timedelta(days=3))
    delivered_late = order_created({maker: 1}, at=t, due=t + timedelta(hours=1))
    cancelled = order_created({maker: 1}, at=t, due=t + timedelta(days=3))
    still_open = order_created({maker: 4}, at=t, due=t + timedelta(days=3))
    old = order_created({maker: 1}, at=NOW - timedelta(days=40), due=NOW - timedelta(days=37))
    events: list[Any] = [
        state(
            delivered_on_time.order_id, "shipped", "delivered", t + timedelta(days=2)
        ),  # before its creation
        delivered_on_time,
        state(delivered_on_time.order_id, "paid", "confirmed", t + timedelta(minutes=5)),  # late, older
        delivered_late,
        state(delivered_late.order_id, "shipped", "delivered", t + timedelta(days=1)),
        cancelled,
        state(cancelled.order_id, "compensating", "cancelled", t + timedelta(minutes=3)),
        still_open,
        state(still_open.order_id, "paid", "confirmed", t + timedelta(minutes=4)),
        old,
        split(
            delivered_on_time.order_id,
            {str(maker): ("artisan", "18.00"), str(other): ("artisan", "9.00"), "a4co": ("platform", "3.00")},
            t,
        ),
    ]
    for repeat in range(2):  # everything delivered twice: nothing counts twice
        async with db.transaction() as session:
            orders = ArtisanOrders(session)
            for event in events:
                if isinstance(event, order.OrderCreated):
                    assert await orders.record_order(event) == (
                        0 if repeat else len({i.artisan_id for i in event.items} - {None})
                    )
                elif isinstance(event, order.OrderStateChanged):
                    await orders.record_state(event)
                else:
                    await orders.record_split(event)
    async with db.transaction(read_only=True) as session:
        activity = await ArtisanOrders(session).activity(NOW - timedelta(days=30), NOW)
        open_orders = await ArtisanOrders(session).open_orders(maker)
    mine = activity[maker]
    assert (mine.orders, mine.fulfilled, mine.cancelled) == (4, 3, 1)
    assert (mine.delivered, mine.delivered_on_time) == (2, 1)
    assert mine.revenue_cents == 1800
    assert open_orders == mine.open_orders == 2  # still_open, and the 40-day-old one nobody closed
    assert activity[other].revenue_cents == 900


async def test_the_evaluation_publishes_one_event_per_artisan_through_the_outbox(db: Database) -> None:
    await seed_directory(db)
    publishers = ArtisanPublishers(cast("JetStreamContext", None))  # prepare() only: the outbox sends
    async with SqlUnitOfWork(db) as uow:
        evaluated = await evaluate_performance(uow, publishers, NOW)
    assert len(evaluated) == len(ARTISANS)
    assert {e.evaluation.tier for e in evaluated} == {"bronze"}
    async with db.transaction(read_only=True) as session:
        rows = (await session.execute(select(outbox.c.subject, outbox.c.body, outbox.c.message_id))).all()
    assert len(rows) == len(ARTISANS)
    assert {row.subject for row in rows} == {"artisan.performance.evaluated.v1"}
    first = artisan.ArtisanPerformanceEvaluated.model_validate_json(rows[0].body)
    assert first.evaluated_at == NOW
    assert first.period.end - first.period.start == timedelta(days=30)
    async with SqlUnitOfWork(db) as uow:  # the same instant again: the same event ids, staged once
        await evaluate_performance(uow, publishers, NOW)
    async with db.transaction(read_only=True) as session:
        assert len((await session.execute(select(outbox.c.message_id))).all()) == len(ARTISANS)
    assert orjson.loads(rows[0].body)["tier"] == "bronze"
