"""Handlers: plain functions of (message, unit of work, ports)."""

from datetime import UTC, datetime

from a4co_sdk.models import common, delivery
from a4co_sdk.publishers.delivery import DeliveryPublishers
from services.delivery.adapters.deliveries import DeliveryRepository
from services.delivery.domain.scheduling import MADRID, plan_delivery
from services.platform.unit_of_work import UnitOfWork

__all__ = ["schedule_delivery"]


async def schedule_delivery(
    request: delivery.DeliverySchedulingRequested, uow: UnitOfWork, publishers: DeliveryPublishers
) -> None:
    """Schedule once per delivery id; a repeated request gets the same answer again."""
    repository = DeliveryRepository(uow.session)
    plan = await repository.get(request.delivery_id)
    if plan is None:
        weight = sum(parcel.weight_kg or 1.0 for parcel in request.parcels)
        plan = plan_delivery(
            request.delivery_id, request.delivery_address.postal_code, weight, request.requested_at
        )
        await repository.add(request.delivery_id, request.order_id, plan)
    uow.publish(
        publishers.delivery_scheduled.prepare(
            delivery.DeliveryScheduled(
                delivery_id=request.delivery_id,
                order_id=request.order_id,
                carrier=plan.carrier,
                tracking_code=plan.tracking_code,
                # Local time, whatever zone the database returns: the same answer every time.
                window=common.DateRange(
                    start=plan.window_start.astimezone(MADRID), end=plan.window_end.astimezone(MADRID)
                ),
                cost=common.Money(amount=plan.cost, currency="EUR"),
                scheduled_at=datetime.now(UTC),
            )
        )
    )
