"""Whom each event tells what: the notification policy of the marketplace, one function per event.

Variables carry ids, amounts, dates and names of products and businesses, never a person's name, email,
phone or address: NOTIFICATIONS is not encrypted, and the provider fills personal details in from the
contact directory when it sends.

Time to live by kind: what is about an order or a payment, 2 days; stock and purchase orders, 1 day
(stale after a day's sales); welcomes, loyalty and performance reports, 7 days.
"""

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from a4co_sdk.models import artisan, common, delivery, inventory, loyalty, order, payment, user
from services.notification.domain.notifications import Draft, Priority

__all__ = [
    "artisan_onboarded",
    "artisan_performance_evaluated",
    "delivery_scheduled",
    "loyalty_points_earned",
    "order_created",
    "order_items_modified",
    "order_state_changed",
    "payment_failed",
    "payment_refunded",
    "payment_succeeded",
    "purchase_order_cancelled",
    "purchase_order_created",
    "restock_scheduled",
    "stock_threshold_reached",
    "tells_customer",
    "user_registered",
]

ORDER_TTL = timedelta(days=2)
STOCK_TTL = timedelta(days=1)
ACCOUNT_TTL = timedelta(days=7)

# Order states the customer hears about on `order.state.changed`. The saga's intermediate states
# (stock_reserved, payment_processing, paid, compensating) are internal; pending is told by
# `order.created`; delivery_scheduled by `delivery.scheduled`, which carries the carrier and the window.
_STATE_TEMPLATES = {
    order.OrderState.CONFIRMED: ("order.confirmed", Priority.HIGH),
    order.OrderState.CANCELLED: ("order.cancelled", Priority.HIGH),
    order.OrderState.SHIPPED: ("order.shipped", Priority.NORMAL),
    order.OrderState.DELIVERED: ("order.delivered", Priority.LOW),
}

_STOCK_PRIORITY = {
    inventory.ThresholdType.CRITICAL: Priority.CRITICAL,
    inventory.ThresholdType.LOW: Priority.HIGH,
    inventory.ThresholdType.REORDER: Priority.NORMAL,
}


def _money(money: common.Money) -> dict[str, str]:
    return {"amount": str(money.amount), "currency": money.currency}


def _order_draft(
    order_id: UUID,
    customer_id: UUID,
    template: str,
    priority: Priority,
    occurred_at: datetime,
    variables: Mapping[str, Any],
    *,
    key: UUID | str | None = None,
) -> Draft:
    """A notification to the customer about their order: grouped with the order's others, related to it."""
    return Draft(
        key=str(key or order_id),
        recipient_id=customer_id,
        template=template,
        variables={"orderId": str(order_id), **variables},
        priority=priority,
        occurred_at=occurred_at,
        ttl=ORDER_TTL,
        group_key=f"order:{order_id}",
        related_to=("order", str(order_id)),
    )


def order_created(message: order.OrderCreated, occurred_at: datetime) -> list[Draft]:
    """The customer: their order was received. Each artisan: the lines of the order they sell."""
    drafts = [
        _order_draft(
            message.order_id,
            message.customer_id,
            "order.received",
            Priority.NORMAL,
            occurred_at,
            {
                "total": _money(message.total_amount),
                "itemCount": sum(item.quantity for item in message.items),
                "estimatedDelivery": {
                    "start": message.estimated_delivery.start.isoformat(),
                    "end": message.estimated_delivery.end.isoformat(),
                },
            },
        )
    ]
    lines: dict[UUID, list[dict[str, Any]]] = defaultdict(list)
    for item in message.items:
        if item.artisan_id is not None:
            lines[item.artisan_id].append(
                {
                    "productId": str(item.product_id),
                    "productName": item.product_name,
                    "quantity": item.quantity,
                }
            )
    drafts += [
        Draft(
            key=str(message.order_id),
            recipient_id=artisan_id,
            template="artisan.order.received",
            variables={"orderId": str(message.order_id), "lines": artisan_lines},
            priority=Priority.NORMAL,
            occurred_at=occurred_at,
            ttl=ORDER_TTL,
            group_key=f"artisan-orders:{artisan_id}",  # several orders within the window: one digest
            related_to=("order", str(message.order_id)),
        )
        for artisan_id, artisan_lines in lines.items()
    ]
    return drafts


def tells_customer(state: order.OrderState) -> bool:
    return state in _STATE_TEMPLATES


def order_state_changed(
    message: order.OrderStateChanged, customer_id: UUID, occurred_at: datetime
) -> list[Draft]:
    """Confirmed, cancelled, shipped, delivered. The confirmation is what the saga's notify step waits for
    (`relatedTo` the order)."""
    told = _STATE_TEMPLATES.get(message.current_state)
    if told is None:
        return []
    template, priority = told
    variables: dict[str, Any] = {"state": message.current_state.value}
    if message.current_state is order.OrderState.CANCELLED:
        variables["reason"] = (
            message.cancellation_reason.value
            if message.cancellation_reason
            else message.reason or "cancelled"
        )
    return [_order_draft(message.order_id, customer_id, template, priority, occurred_at, variables)]


def order_items_modified(
    message: order.OrderItemsModified, customer_id: UUID, occurred_at: datetime
) -> list[Draft]:
    return [
        _order_draft(
            message.order_id,
            customer_id,
            "order.items.modified",
            Priority.NORMAL,
            occurred_at,
            {
                "newTotal": _money(message.new_total_amount),
                "added": len(message.added_items),
                "removed": len(message.removed_items),
                "modified": len(message.modified_items),
            },
            key=f"{message.order_id}@{message.modified_at.isoformat()}",  # an order may change more than once
        )
    ]


def payment_succeeded(
    message: payment.PaymentSucceeded, customer_id: UUID, occurred_at: datetime
) -> list[Draft]:
    return [
        _order_draft(
            message.order_id,
            customer_id,
            "payment.received",
            Priority.NORMAL,
            occurred_at,
            {"paymentId": str(message.payment_id), "amount": _money(message.amount)},
            key=message.payment_id,
        )
    ]


def payment_failed(message: payment.PaymentFailed, customer_id: UUID, occurred_at: datetime) -> list[Draft]:
    return [
        _order_draft(
            message.order_id,
            customer_id,
            "payment.failed",
            Priority.HIGH,
            occurred_at,
            {
                "paymentId": str(message.payment_id),
                "amount": _money(message.amount),
                "reason": message.reason.value,
            },
            key=message.payment_id,
        )
    ]


def payment_refunded(
    message: payment.PaymentRefunded, customer_id: UUID, occurred_at: datetime
) -> list[Draft]:
    """Refunded or voided. `nothing_to_refund` (compensation of a payment never captured) tells nobody
    anything: no money moved, and the cancellation has its own notification."""
    if message.outcome is payment.RefundOutcome.NOTHING_TO_REFUND:
        return []
    return [
        _order_draft(
            message.order_id,
            customer_id,
            "payment.refunded",
            Priority.NORMAL,
            occurred_at,
            {
                "refundId": str(message.refund_id),
                "amount": _money(message.amount),
                "outcome": message.outcome.value,
            },
            key=message.refund_id,
        )
    ]


def delivery_scheduled(
    message: delivery.DeliveryScheduled, customer_id: UUID, occurred_at: datetime
) -> list[Draft]:
    return [
        _order_draft(
            message.order_id,
            customer_id,
            "delivery.scheduled",
            Priority.NORMAL,
            occurred_at,
            {
                "deliveryId": str(message.delivery_id),
                "carrier": message.carrier,
                "trackingCode": message.tracking_code,
                "window": {"start": message.window.start.isoformat(), "end": message.window.end.isoformat()},
            },
            key=message.delivery_id,
        )
    ]


def loyalty_points_earned(message: loyalty.LoyaltyPointsEarned, occurred_at: datetime) -> list[Draft]:
    return [
        Draft(
            key=str(message.order_id),
            recipient_id=message.customer_id,
            template="loyalty.points.earned",
            variables={
                "orderId": str(message.order_id),
                "points": message.points,
                "balance": message.balance,
                "tier": message.tier.value,
            },
            priority=Priority.LOW,
            occurred_at=occurred_at,
            ttl=ACCOUNT_TTL,
            group_key=f"order:{message.order_id}",
            related_to=("loyalty-account", str(message.customer_id)),
        )
    ]


def stock_threshold_reached(message: inventory.StockThresholdReached, occurred_at: datetime) -> list[Draft]:
    """The artisan, with the urgency of the threshold; several alerts within the window: one digest."""
    return [
        Draft(
            key=f"{message.product_id}:{message.threshold_type.value}@{occurred_at.isoformat()}",
            recipient_id=message.artisan_id,
            template="stock.threshold.reached",
            variables={
                "productId": str(message.product_id),
                "productName": message.product_name,
                "currentStock": message.current_stock,
                "threshold": message.threshold,
                "thresholdType": message.threshold_type.value,
                "estimatedStockoutDate": message.estimated_stockout_date.isoformat(),
            },
            priority=_STOCK_PRIORITY[message.threshold_type],
            occurred_at=occurred_at,
            ttl=STOCK_TTL,
            group_key=f"stock:{message.artisan_id}",
            related_to=("product", str(message.product_id)),
        )
    ]


def purchase_order_created(message: inventory.PurchaseOrderCreated, occurred_at: datetime) -> list[Draft]:
    return [
        Draft(
            key=str(message.purchase_order_id),
            recipient_id=message.artisan_id,
            template="purchase-order.created",
            variables={
                "purchaseOrderId": str(message.purchase_order_id),
                "productId": str(message.product_id),
                "quantity": message.quantity,
                "expectedBy": message.expected_by.isoformat(),
            },
            priority=Priority.HIGH,
            occurred_at=occurred_at,
            ttl=STOCK_TTL,
            related_to=("purchase-order", str(message.purchase_order_id)),
        )
    ]


def purchase_order_cancelled(message: inventory.PurchaseOrderCancelled, occurred_at: datetime) -> list[Draft]:
    return [
        Draft(
            key=str(message.purchase_order_id),
            recipient_id=message.artisan_id,
            template="purchase-order.cancelled",
            variables={
                "purchaseOrderId": str(message.purchase_order_id),
                "productId": str(message.product_id),
                "reason": message.reason,
            },
            priority=Priority.NORMAL,
            occurred_at=occurred_at,
            ttl=STOCK_TTL,
            related_to=("purchase-order", str(message.purchase_order_id)),
        )
    ]


def restock_scheduled(message: inventory.RestockScheduled, occurred_at: datetime) -> list[Draft]:
    return [
        Draft(
            key=str(message.restock_id),
            recipient_id=message.artisan_id,
            template="restock.scheduled",
            variables={
                "restockId": str(message.restock_id),
                "purchaseOrderId": str(message.purchase_order_id),
                "productId": str(message.product_id),
                "quantity": message.quantity,
                "scheduledFor": message.scheduled_for.isoformat(),
            },
            priority=Priority.LOW,
            occurred_at=occurred_at,
            ttl=STOCK_TTL,
            group_key=f"restock:{message.artisan_id}",
            related_to=("purchase-order", str(message.purchase_order_id)),
        )
    ]


def user_registered(message: user.UserRegistered, occurred_at: datetime) -> list[Draft]:
    return [
        Draft(
            key=str(message.user_id),
            recipient_id=message.user_id,
            template="user.welcome",
            variables={
                "language": message.preferred_language.value,
                "marketingConsent": message.marketing_consent,
            },
            priority=Priority.NORMAL,
            occurred_at=occurred_at,
            ttl=ACCOUNT_TTL,
            related_to=("user", str(message.user_id)),
        )
    ]


def artisan_onboarded(message: artisan.ArtisanOnboardingCompleted, occurred_at: datetime) -> list[Draft]:
    return [
        Draft(
            key=str(message.artisan_id),
            recipient_id=message.artisan_id,
            template="artisan.welcome",
            variables={
                "businessName": message.business_info.business_name,
                "town": message.business_info.town,
                "categories": [c.value for c in message.product_categories],
            },
            priority=Priority.NORMAL,
            occurred_at=occurred_at,
            ttl=ACCOUNT_TTL,
            related_to=("artisan", str(message.artisan_id)),
        )
    ]


def artisan_performance_evaluated(
    message: artisan.ArtisanPerformanceEvaluated, occurred_at: datetime
) -> list[Draft]:
    metrics = message.metrics
    return [
        Draft(
            key=f"{message.artisan_id}@{message.period.start.isoformat()}",  # one report per period
            recipient_id=message.artisan_id,
            template="artisan.performance.report",
            variables={
                "tier": message.tier.value,
                "period": {"start": message.period.start.isoformat(), "end": message.period.end.isoformat()},
                "ordersFulfilled": metrics.orders_fulfilled,
                "averageRating": metrics.average_rating,
                "onTimeDeliveryRate": metrics.on_time_delivery_rate,
                "revenue": _money(metrics.revenue),
                "recommendations": [r.root for r in message.recommendations],
            },
            priority=Priority.LOW,
            occurred_at=occurred_at,
            ttl=ACCOUNT_TTL,
            related_to=("artisan", str(message.artisan_id)),
        )
    ]
