"""The order use cases of the gateway: place, follow, change and cancel an order.

Commands go to JetStream; the gateway answers 202 once JetStream stored them and the order service
applies them asynchronously. Before publishing a change or a cancellation the gateway reads the order
(through the order service) to refuse at once what the order's state or lines cannot take. A customer
sees only their own orders: another customer's order is a 404, so that order ids are not disclosed.
"""

import logging
from dataclasses import dataclass
from uuid import UUID, uuid4

from a4co_sdk.models import gateway, order
from services.gateway.application.ports import AcceptedOrders, CommandBus, IdempotencyKeys, Orders
from services.gateway.domain import errors
from services.gateway.domain.idempotency import KeyRecord, replayed_answer
from services.gateway.domain.orders import (
    CANCELLABLE,
    MODIFIABLE,
    AcceptedOrder,
    command_message_id,
    fingerprint,
    order_id_for,
    unacceptable_changes,
)
from services.platform.security import UserPrincipal

__all__ = ["ADMIN", "Placed", "cancel_order", "follow_order", "modify_order_items", "place_order"]

log = logging.getLogger(__name__)

ADMIN = "admin"
STILL_CREATING_RETRY = 1
"""Seconds to wait before asking again about an order whose `CreateOrder` is not applied yet."""


@dataclass(frozen=True, slots=True)
class Placed:
    accepted: AcceptedOrder
    replayed: bool = False


async def place_order(
    request: order.CreateOrder,
    *,
    user: UserPrincipal,
    idempotency_key: str | None,
    keys: IdempotencyKeys,
    accepted: AcceptedOrders,
    bus: CommandBus,
) -> Placed:
    """Publish `CreateOrder` once per customer and key; the same key and body get the same answer."""
    if request.order_id is not None:
        raise errors.ValidationFailed(
            "The gateway chooses the order id; leave orderId out.",
            errors=[{"pointer": "/orderId", "message": "must not be present: the gateway sets it"}],
        )
    if request.customer_id != user.user_id:
        raise errors.Forbidden("customerId must be the signed-in customer.")
    if idempotency_key is None:
        order_id = uuid4()
        return Placed(await _create(request, order_id, uuid4(), bus=bus, accepted=accepted))
    order_id = order_id_for(user.user_id, idempotency_key)
    record = KeyRecord(fingerprint(request), order_id)
    claimed = await keys.claim(user.user_id, idempotency_key, record)
    if claimed is not None:
        answer = replayed_answer(claimed, record.fingerprint, idempotency_key)
        assert answer.accepted_at is not None  # replayed_answer returns completed records only
        return Placed(AcceptedOrder(answer.order_id, user.user_id, answer.accepted_at), replayed=True)
    try:
        placed = await _create(
            request, order_id, command_message_id(order_id, "create"), bus=bus, accepted=accepted
        )
    except BaseException:
        await _release(keys, user.user_id, idempotency_key)
        raise
    try:
        await keys.complete(
            user.user_id, idempotency_key, KeyRecord(record.fingerprint, order_id, placed.accepted_at)
        )
    except errors.GatewayError:
        # The command is stored: answer 202. A retry meanwhile is told "in progress" until the claim
        # expires, then publishes the same message id again (a JetStream duplicate, or the order
        # service's own idempotency by order id).
        log.warning("could not store the answer for an Idempotency-Key of order %s", order_id)
    return Placed(placed)


async def _create(
    request: order.CreateOrder, order_id: UUID, message_id: UUID, *, bus: CommandBus, accepted: AcceptedOrders
) -> AcceptedOrder:
    # The command the contract's channel carries, not the HTTP request that asked for it.
    command = order.CreateOrder.model_validate({**dict(request), "order_id": order_id})
    accepted_at = await bus.create_order(command, message_id=message_id)
    placed = AcceptedOrder(order_id, request.customer_id, accepted_at)
    try:
        await accepted.remember(placed)
    except errors.GatewayError:
        # Without the record, GET answers 404 instead of 202 until the order service has the order.
        log.warning("could not remember accepted order %s", order_id)
    return placed


async def _release(keys: IdempotencyKeys, customer_id: UUID, key: str) -> None:
    try:
        await keys.release(customer_id, key)
    except errors.GatewayError:
        log.warning("could not release an Idempotency-Key; it expires by itself")


def _visible(view: order.OrderView, user: UserPrincipal, *, admins_see_all: bool) -> bool:
    return view.customer_id == user.user_id or (admins_see_all and ADMIN in user.roles)


async def follow_order(
    order_id: UUID, *, user: UserPrincipal, orders: Orders, accepted: AcceptedOrders
) -> order.OrderView | AcceptedOrder:
    """The order, or what the gateway accepted while the order service has not created it yet."""
    view = await orders.get(order_id)
    if view is not None:
        if _visible(view, user, admins_see_all=True):
            return view
        raise _not_found(order_id)
    pending = await accepted.get(order_id)
    if pending is not None and (pending.customer_id == user.user_id or ADMIN in user.roles):
        return pending
    raise _not_found(order_id)


async def _current(
    order_id: UUID,
    *,
    user: UserPrincipal,
    orders: Orders,
    accepted: AcceptedOrders,
    admins_see_all: bool,
    action: str,
) -> order.OrderView:
    """The order a command is about; 404 when the user may not see it, 409 while it is being created."""
    view = await orders.get(order_id)
    if view is not None:
        if _visible(view, user, admins_see_all=admins_see_all):
            return view
        raise _not_found(order_id)
    pending = await accepted.get(order_id)
    if pending is not None and (
        pending.customer_id == user.user_id or (admins_see_all and ADMIN in user.roles)
    ):
        raise errors.OrderStateConflict(
            f"Order {order_id} is still being created; {action} it again in {STILL_CREATING_RETRY} second.",
            retry_after=STILL_CREATING_RETRY,
        )
    raise _not_found(order_id)


async def modify_order_items(
    order_id: UUID,
    request: gateway.ModifyOrderItemsRequest,
    *,
    user: UserPrincipal,
    orders: Orders,
    accepted: AcceptedOrders,
    bus: CommandBus,
) -> AcceptedOrder:
    """Publish `ModifyOrderItems` for a confirmed order of the customer, lowering or removing lines."""
    view = await _current(
        order_id, user=user, orders=orders, accepted=accepted, admins_see_all=False, action="change"
    )
    if view.state not in MODIFIABLE:
        raise errors.OrderStateConflict(
            f"Order {order_id} is {view.state.value}; its lines can only be changed while it is confirmed "
            "or its delivery is scheduled."
        )
    problems = unacceptable_changes(view.items, request.changes)
    if problems:
        count = len(problems)
        raise errors.ValidationFailed(
            f"The changes have {count} problem{'s' if count != 1 else ''}: "
            + "; ".join(p["message"] for p in problems[:3])
            + ("; ..." if count > 3 else "")
            + " (lines can only be lowered or removed, each product once).",
            errors=problems,
        )
    accepted_at = await bus.modify_order_items(
        order.ModifyOrderItems(order_id=order_id, changes=request.changes, requested_by=user.user_id)
    )
    return AcceptedOrder(order_id, view.customer_id, accepted_at)


async def cancel_order(
    order_id: UUID,
    request: gateway.CancelOrderRequest,
    *,
    user: UserPrincipal,
    orders: Orders,
    accepted: AcceptedOrders,
    bus: CommandBus,
) -> AcceptedOrder:
    """Publish `CancelOrder` for an order that has not shipped; customers their own, admins any."""
    view = await _current(
        order_id, user=user, orders=orders, accepted=accepted, admins_see_all=True, action="cancel"
    )
    if view.state not in CANCELLABLE:
        raise errors.OrderStateConflict(
            f"Order {order_id} is {view.state.value}; it can no longer be cancelled."
        )
    accepted_at = await bus.cancel_order(
        order.CancelOrder(order_id=order_id, reason=request.reason, requested_by=user.user_id)
    )
    return AcceptedOrder(order_id, view.customer_id, accepted_at)


def _not_found(order_id: UUID) -> errors.NotFound:
    return errors.NotFound(f"There is no order {order_id}.")
