"""One marketplace for the contract tests: every service as a process on private servers, seeded.

The seed goes in through events (`a4co.seed.loader.load_seed`), so every read model is built by its own
service; one order is placed through the gateway and followed until the order service has it. `known`
names ids that exist after that, so that schemathesis can reach the answers behind them (a 200 with a
body to check), not only the 404s of the random ids it draws.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from a4co.devstack.marketplace import SERVICES
from a4co.seed import artisans as seeded_artisans
from a4co.seed import customers as seeded_customers
from a4co.seed.loader import load_seed
from a4co.seed.products import seed_products
from services.platform.security import KeyStore, UserTokenIssuer
from tests.services.harness import Running, running

ENV = {
    # schemathesis sends a few thousand requests from one address and one user; the limits are the
    # gateway's own tests' subject, and a 429 would only hide what a route answers.
    "A4CO_GATEWAY_RATE_LIMIT_USER": "1000000/minute",
    "A4CO_GATEWAY_RATE_LIMIT_ADDRESS": "1000000/minute",
    # The gateway's time budgets are its SLAs (100-500 ms); on this shared 2-core machine, with thirteen
    # services and the test itself on it, a slow moment would be a 504 that says nothing about the
    # contract. Budgets and breakers are tested by the gateway's own tests.
    "A4CO_GATEWAY_TIMEOUT_SCALE": "10",
    # Orders placed by the test reach an end of their saga within the module.
    "A4CO_SAGA_STEP_SECONDS": "8",
    "A4CO_SAGA_PAYMENT_SECONDS": "4",
    "A4CO_SAGA_NOTIFY_SECONDS": "5",
    "A4CO_SAGA_DELIVERY_SECONDS": "10",
    "A4CO_SAGA_COMPENSATION_SECONDS": "8",
}

MARIA = {c.email: c for c in seeded_customers.NAMED}["maria.lopez@example.es"]


@dataclass(frozen=True)
class Known:
    """Ids that exist in the running marketplace, by the name of the parameter that takes them."""

    customer: UUID
    """The user the tests' user token is for (with the customer and admin roles)."""
    ids: dict[str, list[str]]
    bodies: dict[str, list[dict[str, Any]]]
    """Request bodies that succeed, by operationId, where success depends on stored state."""


@pytest.fixture(scope="module")
async def marketplace(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    root = Path(tmp_path_factory.mktemp("marketplace"))
    async with running(root, *SERVICES, env=ENV) as market:
        await load_seed(market.js, KeyStore(root / "keys"))
        yield market


@pytest.fixture(scope="module")
async def known(marketplace: Running) -> Known:
    token = UserTokenIssuer(marketplace.keys).issue(MARIA.id, ["customer", "admin"])
    async with httpx.AsyncClient(
        base_url=marketplace.market.url("gateway"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ) as gateway:
        offers = await marketplace.wait_for(lambda: _seeded(gateway), timeout=90, every=0.5)
        order_id = await _place(gateway, offers)
    customers = [MARIA, *[c for c in seeded_customers.CUSTOMERS if c.id != MARIA.id][:2]]
    return Known(
        customer=MARIA.id,
        ids={
            "productId": [str(p.id) for p in list(seed_products())[:3]],
            "userId": [str(c.id) for c in customers],
            "customerId": [str(MARIA.id)],
            "artisanId": [str(a.id) for a in seeded_artisans.ARTISANS[:3]],
            "orderId": [str(order_id)],
        },
        bodies={
            # One unit fewer of the first line of María's order, which has two lines.
            "gatewayModifyOrderItems": [{"changes": [{"productId": offers[0]["productId"], "quantity": 1}]}],
        },
    )


async def _seeded(gateway: httpx.AsyncClient) -> list[dict[str, Any]]:
    """Two products in stock, once search, profiles and stock are built from the seed's events."""
    response = await gateway.get(
        "/api/products/search", params={"q": "aceite", "inStock": "true", "pageSize": "5"}
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert len(items) >= 2
    profile = await gateway.get(f"/api/users/{MARIA.id}/payment-profile")
    assert profile.status_code == 200, profile.text
    for item in items[:2]:
        level = await gateway.get(f"/api/inventory/availability/{item['productId']}")
        assert level.status_code == 200, level.text
        assert level.json()["available"] >= 2
    offers: list[dict[str, Any]] = items[:2]
    return offers


async def _place(gateway: httpx.AsyncClient, offers: list[dict[str, Any]]) -> UUID:
    """An order of María's, placed through the gateway and followed until its delivery is scheduled."""
    address = seeded_customers.address(MARIA).model_dump(mode="json", by_alias=True, exclude_none=True)
    placed = await gateway.post(
        "/api/orders",
        json={
            "customerId": str(MARIA.id),
            "items": [
                {"productId": offer["productId"], "quantity": quantity, "unitPrice": offer["price"]}
                for offer, quantity in zip(offers, (2, 1), strict=True)
            ],
            "deliveryAddress": address,
            "paymentMethodId": str(seeded_customers.payment_method_id(MARIA.email, 0)),
            "metadata": {"deviceInfo": {"type": "desktop"}, "sessionId": "contract-tests"},
        },
    )
    assert placed.status_code == 202, placed.text
    order_id = UUID(placed.json()["orderId"])

    async def scheduled() -> None:
        followed = await gateway.get(f"/api/orders/{order_id}")
        assert followed.status_code == 200, followed.text
        assert followed.json()["state"] == "delivery_scheduled", followed.json()["state"]

    await Running.wait_for(scheduled, timeout=60, every=0.2)
    return order_id
