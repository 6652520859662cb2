"""What the gateway decides about orders before it publishes a command: ids, sameness, allowed states.

The order service has the last word on every command (it records a late refusal in the order's
history); the gateway checks what it can see in the order's read model so that a client gets a clear
answer (404, 409, 422) at once instead of a 202 for a command that is bound to be refused.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid5

import orjson

from a4co_sdk.models import gateway, order

__all__ = [
    "CANCELLABLE",
    "MODIFIABLE",
    "ORDER_IDS",
    "AcceptedOrder",
    "command_message_id",
    "fingerprint",
    "order_id_for",
    "order_path",
    "unacceptable_changes",
]

ORDER_IDS = uuid5(UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8"), "https://a4co.example/gateway/orders")
"""Namespace of the order ids the gateway derives (UUID v5 of the URL namespace and this URL)."""

MODIFIABLE = frozenset({order.OrderState.CONFIRMED, order.OrderState.DELIVERY_SCHEDULED})
"""States in which lines may be lowered or removed (gateway.yaml, gatewayModifyOrderItems)."""

CANCELLABLE = frozenset(
    {
        order.OrderState.PENDING,
        order.OrderState.STOCK_RESERVED,
        order.OrderState.PAYMENT_PROCESSING,
        order.OrderState.PAID,
        order.OrderState.CONFIRMED,
        order.OrderState.DELIVERY_SCHEDULED,
    }
)
"""States before shipping (gateway.yaml, gatewayCancelOrder); shipped, delivered, compensating and
cancelled orders cannot be cancelled."""


def order_id_for(customer_id: UUID, idempotency_key: str) -> UUID:
    """The order id of a keyed request: the same customer and key always name the same order."""
    return uuid5(ORDER_IDS, f"{customer_id}/{idempotency_key}")


def command_message_id(order_id: UUID, command: str) -> UUID:
    """The message id of the one `command` a keyed order gets: a retry is a JetStream duplicate."""
    return uuid5(order_id, command)


def fingerprint(request: order.CreateOrder) -> str:
    """What makes two requests "the same body": their validated content, not their bytes or key order."""
    canonical = orjson.dumps(request.model_dump(mode="json", exclude_none=True), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


def order_path(order_id: UUID) -> str:
    return f"/api/orders/{order_id}"


@dataclass(frozen=True, slots=True)
class AcceptedOrder:
    """A command about an order that JetStream stored at `accepted_at`, for `customer_id`'s order."""

    order_id: UUID
    customer_id: UUID
    accepted_at: datetime

    def body(self) -> gateway.OrderAccepted:
        return gateway.OrderAccepted(
            order_id=self.order_id,
            status="accepted",
            accepted_at=self.accepted_at,
            links=gateway.OrderLinks(self=order_path(self.order_id)),
        )


def unacceptable_changes(
    lines: Sequence[order.OrderItem], changes: Sequence[order.ItemChange]
) -> list[dict[str, str]]:
    """Why `changes` cannot apply to an order with `lines`: `errors[]` entries, empty when they can.

    Quantities only go down (0 removes the line), each product once, and only products of the order.
    """
    ordered = {line.product_id: line.quantity for line in lines}
    seen: set[UUID] = set()
    errors = []
    for index, change in enumerate(changes):
        if change.product_id in seen:
            errors.append(
                {"pointer": f"/changes/{index}/productId", "message": "this product is changed twice"}
            )
            continue
        seen.add(change.product_id)
        current = ordered.get(change.product_id)
        if current is None:
            errors.append(
                {
                    "pointer": f"/changes/{index}/productId",
                    "message": f"{change.product_id} is not in the order",
                }
            )
        elif change.quantity > current:
            errors.append(
                {
                    "pointer": f"/changes/{index}/quantity",
                    "message": f"{change.quantity} is more than the {current} units ordered",
                }
            )
    return errors
