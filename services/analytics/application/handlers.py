"""The analytics service's use cases: count what happens, minute by minute, and read windows back.

Projection handlers are plain functions of (message, unit of work). Each counts its fact in the bucket of
the minute the fact happened, once per business id (see `adapters.facts`), so redelivered, duplicated or
reordered messages leave the same figures. The dashboard sums the buckets of a window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from a4co_sdk.models import analytics, artisan, common, delivery, notification, order, payment, product, user
from services.analytics.adapters.facts import AnalyticsFacts, Line
from services.analytics.domain.windows import (
    ORDER_RETENTION,
    RETENTION,
    Window,
    average_order_value,
    conversion_rate,
    window_start,
)
from services.platform.database import Database
from services.platform.unit_of_work import UnitOfWork

__all__ = [
    "ALL_CUSTOMERS",
    "Conversion",
    "conversions",
    "count_delivery_scheduled",
    "count_notification_batch",
    "count_notification_scheduled",
    "count_order_created",
    "count_order_state",
    "count_payment_failed",
    "count_payment_refunded",
    "count_payment_split",
    "count_payment_succeeded",
    "dashboard",
    "prune",
    "record_artisan",
    "record_behavior",
    "record_evaluation",
    "record_product",
    "record_segments",
    "window_totals",
]

ALL_CUSTOMERS = "all"
TOP = 10


def cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def euros(value: int) -> Decimal:
    return (Decimal(max(value, 0)) / 100).quantize(Decimal("0.01"))


async def count_order_created(message: order.OrderCreated, uow: UnitOfWork) -> None:
    """An order placed: counted in its minute; its lines wait for the confirmation to count as sold."""
    lines = [
        Line(
            product_id=item.product_id,
            artisan_id=item.artisan_id,
            product_name=item.product_name,
            quantity=item.quantity,
            unit_cents=cents(item.unit_price.amount),
        )
        for item in message.items
    ]
    await AnalyticsFacts(uow.session).place_order(
        message.order_id, message.customer_id, cents(message.total_amount.amount), message.created_at, lines
    )


async def count_order_state(message: order.OrderStateChanged, uow: UnitOfWork) -> None:
    """Confirmations and cancellations, counted once per order in the minute they happened."""
    await AnalyticsFacts(uow.session).change_state(
        message.order_id, message.current_state.value, message.changed_at
    )


async def count_payment_succeeded(message: payment.PaymentSucceeded, uow: UnitOfWork) -> None:
    """Revenue: what the customer paid (delivery included), in the minute it was captured."""
    facts = AnalyticsFacts(uow.session)
    if await facts.first_time("payment-captured", message.payment_id, message.captured_at):
        await facts.add(
            message.captured_at, {"revenue_cents": cents(message.amount.amount), "payments_captured": 1}
        )


async def count_payment_failed(message: payment.PaymentFailed, uow: UnitOfWork) -> None:
    """Failed payments per minute (an operational figure: a spike means the processor or fraud rules)."""
    facts = AnalyticsFacts(uow.session)
    if await facts.first_time("payment-failed", message.payment_id, message.failed_at):
        await facts.add(message.failed_at, {"payments_failed": 1})


async def count_payment_split(message: payment.PaymentSplitCreated, uow: UnitOfWork) -> None:
    """How captured money is shared: the platform's commission, artisans' payouts, delivery's share."""
    facts = AnalyticsFacts(uow.session)
    if not await facts.first_time("payment-split", message.split_id, message.created_at):
        return
    shares = {"platform_commission_cents": 0, "artisan_payouts_cents": 0, "delivery_share_cents": 0}
    metric = {
        payment.RecipientType.PLATFORM: "platform_commission_cents",
        payment.RecipientType.ARTISAN: "artisan_payouts_cents",
        payment.RecipientType.DELIVERY: "delivery_share_cents",
    }
    for share in message.splits:
        shares[metric[share.recipient_type]] += cents(share.amount.amount)
    await facts.add(message.created_at, shares)


async def count_payment_refunded(message: payment.PaymentRefunded, uow: UnitOfWork) -> None:
    """Money given back lowers the revenue of the minute it was refunded; a void or nothing does not."""
    facts = AnalyticsFacts(uow.session)
    if not await facts.first_time("payment-refund", message.refund_id, message.refunded_at):
        return
    if message.outcome == payment.RefundOutcome.REFUNDED:
        await facts.add(message.refunded_at, {"refunds_cents": cents(message.amount.amount), "refunds": 1})
    else:
        await facts.add(message.refunded_at, {"refunds_without_charge": 1})


async def record_behavior(message: user.UserBehaviorTracked, uow: UnitOfWork) -> None:
    """A storefront session active in this minute (the conversion rate's denominator)."""
    facts = AnalyticsFacts(uow.session)
    await facts.track_session(message.session_id, message.user_id, message.timestamp)
    if await facts.first_time("behavior", message.tracking_id, message.timestamp):
        await facts.add(message.timestamp, {"storefront_actions": 1})


async def record_segments(message: user.UserSegmentChanged, uow: UnitOfWork) -> None:
    """The user's current segments: the conversion rate is also given per segment."""
    await AnalyticsFacts(uow.session).segment_user(
        message.user_id, [segment.root for segment in message.current_segments], message.changed_at
    )


async def record_artisan(message: artisan.ArtisanOnboardingCompleted, uow: UnitOfWork) -> None:
    """The artisan's business name, for the top artisans."""
    info = message.business_info
    await AnalyticsFacts(uow.session).name_artisan(
        message.artisan_id, info.business_name, info.town, message.completed_at
    )


async def record_evaluation(message: artisan.ArtisanPerformanceEvaluated, uow: UnitOfWork) -> None:
    """The artisan's latest tier, and the evaluations per minute (the evaluation job is alive)."""
    facts = AnalyticsFacts(uow.session)
    await facts.rate_artisan(message.artisan_id, message.tier.value, message.evaluated_at)
    await facts.add(message.evaluated_at, {"artisan_evaluations": 1})


async def record_product(message: product.ProductListed, uow: UnitOfWork) -> None:
    """The product's name, for the top products, and listings per minute."""
    facts = AnalyticsFacts(uow.session)
    await facts.name_product(
        message.product_id, message.artisan_id, message.name, message.category.value, message.listed_at
    )
    if await facts.first_time("product-listed", message.product_id, message.listed_at):
        await facts.add(message.listed_at, {"products_listed": 1})


async def count_notification_scheduled(
    message: notification.NotificationScheduled, uow: UnitOfWork, happened_at: datetime
) -> None:
    facts = AnalyticsFacts(uow.session)
    if await facts.first_time("notification", message.notification_id, happened_at):
        await facts.add(happened_at, {"notifications_scheduled": 1})


async def count_notification_batch(message: notification.NotificationBatchProcessed, uow: UnitOfWork) -> None:
    facts = AnalyticsFacts(uow.session)
    if await facts.first_time("notification-batch", message.batch_id, message.processed_at):
        await facts.add(
            message.processed_at,
            {"notifications_sent": message.successful, "notifications_failed": message.failed},
        )


async def count_delivery_scheduled(message: delivery.DeliveryScheduled, uow: UnitOfWork) -> None:
    facts = AnalyticsFacts(uow.session)
    if await facts.first_time("delivery", message.delivery_id, message.scheduled_at):
        await facts.add(
            message.scheduled_at,
            {"deliveries_scheduled": 1, "delivery_cost_cents": cents(message.cost.amount)},
        )


# -- queries ---------------------------------------------------------------------------------------------


async def dashboard(db: Database, window: Window, now: datetime) -> analytics.RealTimeDashboard:
    start = window_start(window, now)
    async with db.transaction(read_only=True) as session:
        facts = AnalyticsFacts(session)
        totals = await facts.totals(start)
        sessions_seen, converted = await facts.sessions_and_conversions(start)
        products = await facts.top_products(start, TOP)
        artisans = await facts.top_artisans(start, TOP)
    placed = totals.get("orders_placed", 0)
    confirmed = totals.get("orders_confirmed", 0)
    revenue = max(0, totals.get("revenue_cents", 0) - totals.get("refunds_cents", 0))
    return analytics.RealTimeDashboard(
        window=analytics.AnalyticsWindow(window.value),
        generated_at=now,
        orders_per_minute=round(placed / window.minutes, 2),
        orders_placed=placed,
        orders_confirmed=confirmed,
        orders_cancelled=totals.get("orders_cancelled", 0),
        revenue=common.Money(amount=euros(revenue), currency="EUR"),
        average_order_value=common.Money(
            amount=euros(average_order_value(revenue, confirmed)), currency="EUR"
        ),
        conversion_rate=conversion_rate(converted, sessions_seen),
        top_products=[
            analytics.TopProduct(
                product_id=p.product_id,
                name=p.name[:200],
                units=p.units,
                revenue=common.Money(amount=euros(p.revenue_cents), currency="EUR"),
            )
            for p in products
        ],
        top_artisans=[
            analytics.TopArtisan(
                artisan_id=a.artisan_id,
                name=a.name[:120],
                orders=a.orders,
                revenue=common.Money(amount=euros(a.revenue_cents), currency="EUR"),
            )
            for a in artisans
        ],
    )


@dataclass(frozen=True, slots=True)
class Conversion:
    segment: str
    sessions: int
    converted: int

    @property
    def rate(self) -> float:
        return conversion_rate(self.converted, self.sessions)


async def conversions(db: Database, window: Window, now: datetime, *, segments: int = 10) -> list[Conversion]:
    """The window's conversion rate for every customer and for each of the largest segments."""
    start = window_start(window, now)
    async with db.transaction(read_only=True) as session:
        facts = AnalyticsFacts(session)
        total, converted = await facts.sessions_and_conversions(start)
        result = [Conversion(ALL_CUSTOMERS, total, converted)]
        members = await facts.segments()
        largest = sorted(members.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:segments]
        for name, users in largest:
            seg_total, seg_converted = await facts.sessions_and_conversions(start, users)
            result.append(Conversion(name, seg_total, seg_converted))
    return result


async def window_totals(db: Database, window: Window, now: datetime) -> dict[str, int]:
    async with db.transaction(read_only=True) as session:
        return await AnalyticsFacts(session).totals(window_start(window, now))


async def prune(db: Database, now: datetime) -> int:
    async with db.transaction() as session:
        return await AnalyticsFacts(session).prune(now - RETENTION, now - ORDER_RETENTION)
