"""An order as the API shows it (openapi/order.yaml `OrderView`), from the aggregate's state."""

from __future__ import annotations

from uuid import uuid5

from a4co_sdk.models import common, order
from services.order.domain.events import Line
from services.order.domain.order import STEPS, Order

__all__ = ["order_view"]


def _money(amount: object) -> common.Money:
    return common.Money(amount=amount, currency="EUR")


def _item(line: Line) -> order.OrderItem:
    return order.OrderItem(
        product_id=line.product_id,
        artisan_id=line.artisan_id,
        product_name=line.product_name,
        category=line.category,
        quantity=line.quantity,
        unit_price=_money(line.unit_price),
    )


def order_view(o: Order) -> order.OrderView:
    assert o.customer_id is not None
    assert o.placed_at is not None
    current = next((name for name in STEPS if o.steps[name].status in ("running", "compensating")), None)
    return order.OrderView(
        order_id=o.order_id,
        customer_id=o.customer_id,
        state=order.OrderState(o.state),
        items=[_item(line) for line in o.lines],
        totals=order.OrderTotals(
            subtotal=_money(o.subtotal),
            discount=_money(o.discount),
            delivery_cost=_money(o.delivery_cost),
            total=_money(o.total),
        ),
        cancellation_reason=order.CancellationReason(o.cancellation_reason)
        if o.cancellation_reason
        else None,
        saga=order.SagaView(
            saga_id=uuid5(o.order_id, "saga"),
            status=order.SagaStatus(o.saga_status),
            current_step=order.SagaStepName(current) if current else None,
            steps=[
                order.SagaStep(
                    name=order.SagaStepName(s.name),
                    status=order.SagaStepStatus(s.status),
                    started_at=s.started_at,
                    finished_at=s.finished_at,
                    deadline=s.deadline,
                    detail=s.detail[:500] or None,
                )
                for s in o.steps.values()
            ],
        ),
        history=[
            order.OrderHistoryEntry(at=at, state=order.OrderState(state), reason=reason[:500])
            for at, state, reason in o.history
        ],
        created_at=o.placed_at,
        updated_at=o.updated_at or o.placed_at,
    )
