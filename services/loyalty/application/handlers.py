"""Handlers: plain functions of (message, unit of work, ports). Idempotent twice over: the inbox drops a
redelivered message, and the order's status makes a repeated fact (a second confirmation, a creation seen
again under a new message id) change nothing."""

from datetime import datetime

from a4co_sdk.models import loyalty, order
from a4co_sdk.publishers.loyalty import LoyaltyPublishers
from services.loyalty.application.ports import Ledger
from services.loyalty.domain.points import OrderPoints, settles
from services.platform.unit_of_work import UnitOfWork

__all__ = ["record_order_created", "record_order_state_changed"]


async def record_order_created(
    message: order.OrderCreated,
    uow: UnitOfWork,
    ledger: Ledger,
    publishers: LoyaltyPublishers,
    *,
    now: datetime,
) -> None:
    """Pending points for a new order (or earned at once when its confirmation came first)."""
    points = await ledger.order(message.order_id)
    if points is None:
        points = OrderPoints.created(message.order_id, message.customer_id, message.total_amount.amount)
    else:
        points.record_creation(message.customer_id, message.total_amount.amount)
    await _settle(points, uow, ledger, publishers, now)


async def record_order_state_changed(
    message: order.OrderStateChanged,
    uow: UnitOfWork,
    ledger: Ledger,
    publishers: LoyaltyPublishers,
    *,
    now: datetime,
) -> None:
    """Confirmed (or later): the points are earned, once. Cancelled: the pending points are dropped."""
    state = message.current_state.value
    if not settles(state):
        return  # the saga's intermediate states change no points
    points = await ledger.order(message.order_id) or OrderPoints.unseen(message.order_id)
    points.record_state(state, now=now)
    await _settle(points, uow, ledger, publishers, now)


async def _settle(
    points: OrderPoints, uow: UnitOfWork, ledger: Ledger, publishers: LoyaltyPublishers, now: datetime
) -> None:
    if points.due:
        assert points.customer_id is not None
        account = await ledger.account(points.customer_id)
        earned = points.earn(account, now=now)
        if earned is not None:
            await ledger.save_account(account, at=now)
            uow.publish(
                publishers.loyalty_points_earned.prepare(
                    loyalty.LoyaltyPointsEarned(
                        customer_id=earned.customer_id,
                        order_id=earned.order_id,
                        points=earned.points,
                        balance=earned.balance,
                        tier=loyalty.LoyaltyTier(earned.tier),
                        earned_at=earned.at,
                    )
                )
            )
    await ledger.save_order(points, at=now)
