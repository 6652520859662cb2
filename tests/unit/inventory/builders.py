"""Messages for the inventory tests: the contract's own examples with the fields a test cares about."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID, uuid4

import yaml
from pydantic import BaseModel

from a4co_sdk.models import artisan, inventory, order, product

CONTRACT = Path(__file__).resolve().parents[3] / "contracts" / "asyncapi.yaml"
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@functools.cache
def _examples() -> dict[str, dict[str, Any]]:
    document = yaml.safe_load(CONTRACT.read_text())
    return {
        name: message["examples"][0]["payload"]
        for name, message in document["components"]["messages"].items()
        if message.get("examples")
    }


M = TypeVar("M", bound=BaseModel)


def example(model: type[M], **wire: Any) -> M:
    """The contract example of `model` with `wire` (camelCase names, JSON values) laid over it."""
    return model.model_validate({**_examples()[model.__name__], **wire})


def listed(
    product_id: UUID, artisan_id: UUID, *, initial: int = 20, threshold: int = 5, at: datetime = T0
) -> product.ProductListed:
    return example(
        product.ProductListed,
        productId=str(product_id),
        artisanId=str(artisan_id),
        initialStock=initial,
        lowStockThreshold=threshold,
        listedAt=at.isoformat(),
        name=f"Producto {str(product_id)[:8]}",
    )


def onboarded(
    artisan_id: UUID, *, capacity: int = 100, town: str = "Úbeda", at: datetime = T0
) -> artisan.ArtisanOnboardingCompleted:
    base = _examples()["ArtisanOnboardingCompleted"]
    capabilities = {**base["deliveryCapabilities"], "monthlyCapacityUnits": capacity}
    return example(
        artisan.ArtisanOnboardingCompleted,
        artisanId=str(artisan_id),
        businessInfo={**base["businessInfo"], "town": town},
        deliveryCapabilities=capabilities,
        completedAt=at.isoformat(),
    )


def reservation(
    lines: list[tuple[UUID, int]],
    *,
    reservation_id: UUID | None = None,
    order_id: UUID | None = None,
    expires: datetime = T0 + timedelta(minutes=2),
    priority: str = "normal",
) -> inventory.StockReservationRequested:
    return example(
        inventory.StockReservationRequested,
        reservationId=str(reservation_id or uuid4()),
        orderId=str(order_id or uuid4()),
        items=[
            {"productId": str(p), "quantity": q, "unitPrice": {"amount": "9.80", "currency": "EUR"}}
            for p, q in lines
        ],
        expirationTime=expires.isoformat(),
        priority=priority,
    )


def release(
    reservation_id: UUID, order_id: UUID, reason: str = "payment failed"
) -> inventory.StockReservationReleaseRequested:
    return example(
        inventory.StockReservationReleaseRequested,
        reservationId=str(reservation_id),
        orderId=str(order_id),
        reason=reason,
        requestedAt=T0.isoformat(),
    )


def commit(reservation_id: UUID, order_id: UUID) -> inventory.StockReservationCommitRequested:
    return example(
        inventory.StockReservationCommitRequested,
        reservationId=str(reservation_id),
        orderId=str(order_id),
        requestedAt=T0.isoformat(),
    )


def _item(product_id: UUID, quantity: int) -> dict[str, Any]:
    return {
        "productId": str(product_id),
        "quantity": quantity,
        "unitPrice": {"amount": "9.80", "currency": "EUR"},
    }


def order_created(order_id: UUID, lines: list[tuple[UUID, int]], *, at: datetime = T0) -> order.OrderCreated:
    return example(
        order.OrderCreated,
        orderId=str(order_id),
        items=[_item(p, q) for p, q in lines],
        createdAt=at.isoformat(),
    )


def state_changed(order_id: UUID, state: str, *, previous: str = "compensating") -> order.OrderStateChanged:
    return example(
        order.OrderStateChanged,
        orderId=str(order_id),
        previousState=previous,
        currentState=state,
        reason="payment declined",
        cancellationReason="payment_declined" if state == "cancelled" else None,
        changedAt=T0.isoformat(),
    )


def items_modified(
    order_id: UUID, *, removed: Sequence[tuple[UUID, int]] = (), modified: Sequence[tuple[UUID, int]] = ()
) -> order.OrderItemsModified:
    return example(
        order.OrderItemsModified,
        orderId=str(order_id),
        removedItems=[_item(p, q) for p, q in removed],
        modifiedItems=[_item(p, q) for p, q in modified],
        modifiedAt=T0.isoformat(),
    )
