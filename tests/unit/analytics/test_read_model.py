"""The analytics read model on SQLite and PostgreSQL: facts counted once, in their minute; windows summed.

Events are applied through the handlers, each in its own transaction as the consumers apply them, in
orders the streams can produce (a confirmation before its order, duplicates) and at chosen times, so the
windows of the dashboard can be checked to the cent.
"""

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from a4co_sdk.models import common, delivery, notification, order, payment, product, user
from services.analytics.application import handlers
from services.analytics.domain.windows import Window
from services.platform.database import Database
from services.platform.unit_of_work import SqlUnitOfWork, UnitOfWork

NOW = datetime(2026, 11, 27, 10, 30, 20, tzinfo=UTC)
EUR = "EUR"

Handler = Callable[[Any, UnitOfWork], Coroutine[Any, Any, None]]


async def run(db: Database, handler: Handler, *messages: Any) -> None:
    for message in messages:
        async with SqlUnitOfWork(db) as uow:
            await handler(message, uow)


def money(amount: str) -> common.Money:
    return common.Money(amount=Decimal(amount), currency=EUR)


def created(
    at: datetime, lines: list[tuple[UUID, UUID, int, str]], *, customer: UUID | None = None
) -> order.OrderCreated:
    total = sum(Decimal(price) * units for _, _, units, price in lines)
    return order.OrderCreated(
        order_id=uuid4(),
        customer_id=customer or uuid4(),
        items=[
            order.OrderItem(
                product_id=product_id,
                artisan_id=artisan_id,
                product_name=f"Producto {str(product_id)[:4]}",
                quantity=units,
                unit_price=money(price),
            )
            for product_id, artisan_id, units, price in lines
        ],
        total_amount=money(f"{total:.2f}"),
        delivery_address=common.Address(
            recipient_name="María López",
            street="Calle Real 1",
            postal_code="23001",
            city="Jaén",
            province="Jaén",
            country="ES",
        ),
        estimated_delivery=common.DateRange(start=at, end=at + timedelta(days=2)),
        created_at=at,
    )


def changed(order_id: UUID, current: str, at: datetime) -> order.OrderStateChanged:
    return order.OrderStateChanged(
        order_id=order_id,
        previous_state=order.OrderState.PAID,
        current_state=order.OrderState(current),
        reason="saga",
        changed_by="order",
        changed_at=at,
    )


def captured(order_id: UUID, amount: str, at: datetime) -> payment.PaymentSucceeded:
    return payment.PaymentSucceeded(
        payment_id=uuid4(),
        order_id=order_id,
        amount=money(amount),
        processor_reference="ch_1",
        captured_at=at,
    )


def refunded(order_id: UUID, amount: str, at: datetime, outcome: str = "refunded") -> payment.PaymentRefunded:
    return payment.PaymentRefunded(
        refund_id=uuid4(),
        payment_id=uuid4(),
        order_id=order_id,
        amount=money(amount),
        outcome=payment.RefundOutcome(outcome),
        refunded_at=at,
    )


def tracked(session_id: str, user_id: UUID, at: datetime) -> user.UserBehaviorTracked:
    return user.UserBehaviorTracked(
        tracking_id=uuid4(),
        user_id=user_id,
        action="product_view",
        context=user.BehaviorContext(page="/productos"),
        timestamp=at,
        session_id=session_id,
    )


async def dashboard(db: Database, window: Window = Window.FIFTEEN_MINUTES) -> Any:
    return await handlers.dashboard(db, window, NOW)


async def test_orders_placed_confirmed_and_cancelled_are_counted_once_in_their_minute(db: Database) -> None:
    oil, plate, magina, alfar = uuid4(), uuid4(), uuid4(), uuid4()
    recent = created(NOW - timedelta(minutes=2), [(oil, magina, 3, "9.80"), (plate, alfar, 1, "34.00")])
    other = created(NOW - timedelta(minutes=1), [(oil, magina, 1, "9.80")])
    early = created(NOW - timedelta(minutes=40), [(plate, alfar, 2, "34.00")])
    # A confirmation that arrives before its order (another consumer), duplicates, and a cancellation.
    await run(
        db, handlers.count_order_state, changed(recent.order_id, "confirmed", NOW - timedelta(minutes=1))
    )
    await run(db, handlers.count_order_created, recent, recent, other, early)
    await run(
        db,
        handlers.count_order_state,
        changed(recent.order_id, "confirmed", NOW - timedelta(minutes=1)),
        changed(other.order_id, "cancelled", NOW),
        changed(early.order_id, "confirmed", NOW - timedelta(minutes=39)),
    )

    quarter = await dashboard(db)
    assert (quarter.orders_placed, quarter.orders_confirmed, quarter.orders_cancelled) == (2, 1, 1)
    assert quarter.orders_per_minute == round(2 / 15, 2)
    assert [(p.product_id, p.units, p.revenue.amount) for p in quarter.top_products] == [
        (oil, 3, Decimal("29.40")),
        (plate, 1, Decimal("34.00")),
    ]
    assert quarter.top_products[0].name == f"Producto {str(oil)[:4]}"  # the order's name: not listed here
    assert [(a.artisan_id, a.orders, a.revenue.amount) for a in quarter.top_artisans] == [
        (alfar, 1, Decimal("34.00")),
        (magina, 1, Decimal("29.40")),
    ]

    hour = await dashboard(db, Window.ONE_HOUR)
    assert (hour.orders_placed, hour.orders_confirmed) == (3, 2)
    assert hour.top_products[0].product_id == plate  # 3 plates in the hour against 3 bottles, more revenue
    five = await dashboard(db, Window.FIVE_MINUTES)
    assert five.orders_per_minute == 0.4


async def test_revenue_is_captured_money_minus_refunds_and_the_average_is_per_confirmed_order(
    db: Database,
) -> None:
    first, second = uuid4(), uuid4()
    payments = [captured(first, "45.50", NOW - timedelta(minutes=3)), captured(second, "20.00", NOW)]
    await run(db, handlers.count_payment_succeeded, *payments, *payments)  # redelivered: counted once
    await run(
        db,
        handlers.count_payment_refunded,
        refunded(second, "5.00", NOW),
        refunded(second, "99.00", NOW, outcome="voided"),  # nothing had been charged
    )
    await run(
        db,
        handlers.count_order_state,
        changed(first, "confirmed", NOW - timedelta(minutes=3)),
        changed(second, "confirmed", NOW),
    )
    board = await dashboard(db)
    assert board.revenue.amount == Decimal("60.50")
    assert board.average_order_value.amount == Decimal("30.25")
    assert (await dashboard(db, Window.FIVE_MINUTES)).revenue.amount == Decimal("60.50")


async def test_nothing_happened_is_zero_not_an_error(db: Database) -> None:
    board = await dashboard(db, Window.ONE_DAY)
    assert (board.orders_placed, board.conversion_rate, board.top_products) == (0, 0.0, [])
    assert board.revenue.amount == board.average_order_value.amount == Decimal("0.00")
    assert board.window.value == "24h"
    assert board.generated_at == NOW


async def test_conversion_is_sessions_whose_customer_ordered_over_sessions_seen(db: Database) -> None:
    buyer, browser, late = uuid4(), uuid4(), uuid4()
    await run(
        db,
        handlers.record_behavior,
        tracked("s-buyer", buyer, NOW - timedelta(minutes=5)),
        tracked("s-buyer", buyer, NOW - timedelta(minutes=4)),  # the same session, another minute
        tracked("s-browser", browser, NOW - timedelta(minutes=3)),
        tracked("s-browser-2", browser, NOW - timedelta(minutes=2)),
        tracked("s-old", late, NOW - timedelta(hours=3)),  # outside the window
    )
    await run(
        db,
        handlers.count_order_created,
        created(NOW - timedelta(minutes=1), [(uuid4(), uuid4(), 1, "5.00")], customer=buyer),
    )
    board = await dashboard(db)
    assert board.conversion_rate == 33.33  # 1 of 3 sessions
    await run(db, handlers.record_segments, segmented(buyer, ["vip"]), segmented(browser, ["nuevo"]))
    rates = {c.segment: c.rate for c in await handlers.conversions(db, Window.FIFTEEN_MINUTES, NOW)}
    assert rates == {"all": 33.33, "vip": 100.0, "nuevo": 0.0}


def segmented(user_id: UUID, segments: list[str]) -> user.UserSegmentChanged:
    return user.UserSegmentChanged(
        user_id=user_id,
        previous_segments=[],
        current_segments=[user.CurrentSegment(s) for s in segments],
        triggers=[],
        changed_at=NOW - timedelta(days=1),
    )


async def test_names_come_from_the_catalogue_and_the_artisans(db: Database) -> None:
    oil, magina = uuid4(), uuid4()
    listed = product.ProductListed(
        product_id=oil,
        artisan_id=magina,
        sku="A01-AOVE500-1",
        name="Aceite de oliva virgen extra Picual 500 ml",
        description="",
        category=common.ProductCategory.OLIVE_OIL,
        price=money("9.80"),
        unit_label="botella 500 ml",
        tags=[],
        attributes=[],
        content=product.ProductContent(headline="Picual", story="", images=[]),
        initial_stock=10,
        low_stock_threshold=2,
        listed_at=NOW - timedelta(days=30),
    )
    await run(db, handlers.record_product, listed, listed)
    from a4co.seed.artisans import ARTISANS, onboarding_event  # noqa: PLC0415

    onboarding = onboarding_event(ARTISANS[0], 0).model_copy(update={"artisan_id": magina})
    await run(db, handlers.record_artisan, onboarding)
    placed = created(NOW - timedelta(minutes=2), [(oil, magina, 2, "9.80")])
    await run(db, handlers.count_order_created, placed)
    await run(db, handlers.count_order_state, changed(placed.order_id, "confirmed", NOW))
    board = await dashboard(db)
    assert board.top_products[0].name == "Aceite de oliva virgen extra Picual 500 ml"
    assert board.top_artisans[0].name == "Almazara Sierra Mágina"
    totals = await handlers.window_totals(db, Window.ONE_DAY, NOW)
    assert "products_listed" not in totals  # listed a month ago, outside the day


async def test_operational_figures_are_counted_per_business_id(db: Database) -> None:
    order_id = uuid4()
    split = payment.PaymentSplitCreated(
        split_id=uuid4(),
        payment_id=uuid4(),
        order_id=order_id,
        splits=[
            payment.PaymentSplitShare(
                recipient_id=str(uuid4()),
                recipient_type=payment.RecipientType.ARTISAN,
                amount=money("40.00"),
                percentage=80,
            ),
            payment.PaymentSplitShare(
                recipient_id="a4co",
                recipient_type=payment.RecipientType.PLATFORM,
                amount=money("6.00"),
                percentage=12,
            ),
            payment.PaymentSplitShare(
                recipient_id="courier",
                recipient_type=payment.RecipientType.DELIVERY,
                amount=money("4.00"),
                percentage=8,
            ),
        ],
        total_amount=money("50.00"),
        created_at=NOW,
    )
    failed = payment.PaymentFailed(
        payment_id=uuid4(),
        order_id=order_id,
        amount=money("50.00"),
        reason=payment.PaymentFailureReason.DECLINED,
        failed_at=NOW,
    )
    scheduled = delivery.DeliveryScheduled(
        delivery_id=uuid4(),
        order_id=order_id,
        carrier="Jaén Mensajería",
        tracking_code="JAE2340000000001",
        window=common.DateRange(start=NOW, end=NOW + timedelta(hours=5)),
        cost=money("3.95"),
        scheduled_at=NOW,
    )
    batch = notification.NotificationBatchProcessed(
        batch_id=uuid4(),
        notification_ids=[],
        successful=7,
        failed=1,
        failures=[],
        processed_at=NOW,
        processing_time=12.5,
    )
    await run(db, handlers.count_payment_split, split, split)
    await run(db, handlers.count_payment_failed, failed, failed)
    await run(db, handlers.count_delivery_scheduled, scheduled, scheduled)
    await run(db, handlers.count_notification_batch, batch, batch)
    totals = await handlers.window_totals(db, Window.FIVE_MINUTES, NOW)
    assert totals == {
        "artisan_payouts_cents": 4000,
        "platform_commission_cents": 600,
        "delivery_share_cents": 400,
        "payments_failed": 1,
        "deliveries_scheduled": 1,
        "delivery_cost_cents": 395,
        "notifications_sent": 7,
        "notifications_failed": 1,
    }


async def test_old_buckets_are_pruned(db: Database) -> None:
    await run(db, handlers.count_payment_succeeded, captured(uuid4(), "10.00", NOW - timedelta(days=3)))
    await run(db, handlers.count_payment_succeeded, captured(uuid4(), "20.00", NOW - timedelta(hours=2)))
    assert await handlers.prune(db, NOW) >= 1
    day = await handlers.window_totals(db, Window.ONE_DAY, NOW)
    assert day["revenue_cents"] == 2000


@pytest.mark.parametrize("window", list(Window))
async def test_every_window_answers(db: Database, window: Window) -> None:
    board = await dashboard(db, window)
    assert board.window.value == window.value
