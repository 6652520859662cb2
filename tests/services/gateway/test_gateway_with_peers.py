"""The gateway with the real services that exist.

Each query route is proxied to its service: where the service exists (`services/<name>/__main__.py`) it
runs here and the gateway must answer what the contract documents (200 with the service's body, or its
404); where it does not exist yet, the route must answer 503 problem+json with `Retry-After`. The test
needs no change when a service lands. With the real order service, a placed order is followed until
the order service has created it. The gateway's contract is checked by schemathesis with every
service running and seeded, in tests/contract/test_every_service_contract.py.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from a4co.devstack.ports import free_port
from a4co_sdk.models import analytics, artisan, gateway, inventory, order, product, user
from services.platform.ids import customer_id
from services.platform.security import UserTokenIssuer
from tests.services.gateway.stubs import example
from tests.services.harness import Running, running

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

ROOT = Path(__file__).parents[3]
PEERS = ("user", "product", "artisan", "inventory", "order", "analytics")
EXISTING = tuple(name for name in PEERS if (ROOT / "services" / name / "__main__.py").exists())
MARIA = customer_id("maria.lopez@example.es")


@pytest.fixture(scope="module")
async def service(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    nowhere = f"http://127.0.0.1:{free_port()}"
    env = {f"A4CO_URL_{name.upper()}": nowhere for name in PEERS if name not in EXISTING}
    env |= {"A4CO_GATEWAY_TIMEOUT_SCALE": "10", "A4CO_GATEWAY_RATE_LIMIT_USER": "100000/minute"}
    async with running(
        Path(tmp_path_factory.mktemp("peers")), "auth", *EXISTING, "gateway", env=env
    ) as started:
        yield started


@pytest.fixture
async def http(service: Running) -> AsyncIterator[httpx.AsyncClient]:
    token = UserTokenIssuer(service.keys).issue(MARIA, ["customer", "admin"])
    async with httpx.AsyncClient(
        base_url=service.market.url("gateway"), headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        yield client


ROUTES: list[tuple[str, str, dict[str, str], type[BaseModel]]] = [
    ("inventory", f"/api/inventory/availability/{uuid.uuid4()}", {}, inventory.ProductAvailability),
    ("product", "/api/products/search", {"q": "aceite"}, product.SearchResult),
    ("product", "/api/products/content", {"productId": str(uuid.uuid4())}, product.ProductPageContent),
    (
        "artisan",
        "/api/artisans/geo-search",
        {"latitude": "37.99", "longitude": "-3.47"},
        artisan.GeoSearchResult,
    ),
    ("analytics", "/api/analytics/real-time", {}, analytics.RealTimeDashboard),
    ("user", f"/api/users/{MARIA}/payment-profile", {}, user.PaymentProfile),
    ("user", f"/api/users/{MARIA}/chat-profile", {}, user.ChatProfile),
]


ROUTE_IDS = [
    "availability",
    "search",
    "content",
    "geo-search",
    "real-time",
    "payment-profile",
    "chat-profile",
]


@pytest.mark.parametrize(
    ("peer", "path", "params", "model"),
    ROUTES,
    ids=ROUTE_IDS,
)
async def test_each_query_route_reaches_its_service_or_says_it_is_unavailable(
    http: httpx.AsyncClient, peer: str, path: str, params: dict[str, str], model: type[BaseModel]
) -> None:
    response = await http.get(path, params=params)
    if peer in EXISTING:
        assert response.status_code in {200, 404}, response.text
        if response.status_code == 200:
            model.model_validate_json(response.content)
        else:
            assert response.headers["content-type"] == "application/problem+json"
    else:
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert int(response.headers["retry-after"]) >= 1
        assert peer in response.json()["detail"]


async def test_a_placed_order_is_followed_until_the_order_service_has_it(
    service: Running, http: httpx.AsyncClient
) -> None:
    request: dict[str, Any] = example("gateway", "CreateOrderRequest")
    request["customerId"] = str(MARIA)
    placed = await http.post("/api/orders", json=request, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert placed.status_code == 202, placed.text
    accepted = gateway.OrderAccepted.model_validate_json(placed.content)
    followed = await http.get(placed.headers["location"])
    if "order" not in EXISTING:
        assert followed.status_code == 503  # the order service is needed to tell 202 from 200
        return
    for _ in range(200):
        if followed.status_code == 200:
            break
        assert followed.status_code == 202, followed.text
        await asyncio.sleep(0.1)
        followed = await http.get(placed.headers["location"])
    view = order.OrderView.model_validate_json(followed.content)
    assert view.order_id == accepted.order_id
    assert view.customer_id == MARIA
