"""The gateway with the real services that exist, and its contract checked by schemathesis.

Each query route is proxied to its service: where the service exists (`services/<name>/__main__.py`) it
runs here and the gateway must answer what the contract documents (200 with the service's body, or its
404); where it does not exist yet, the route must answer 503 problem+json with `Retry-After`. The test
needs no change when a service lands. With the real order service, a placed order is followed until
the order service has created it.
"""

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from pydantic import BaseModel
from schemathesis.checks import CHECKS, load_all_checks, positive_data_acceptance

from a4co.devstack.ports import free_port
from a4co_sdk.models import analytics, artisan, gateway, inventory, order, product, user
from services.platform.ids import customer_id
from services.platform.security import UserTokenIssuer
from tests.services.gateway.stubs import CONTRACTS, example
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


load_all_checks()


@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode), ids=lambda mode: mode.value)
def test_the_gateway_answers_as_its_contract_says(
    service: Running, mode: schemathesis.GenerationMode
) -> None:
    """Every documented status and body, whichever peers run: a peer that is down is a documented 503."""
    schema = schemathesis.openapi.from_path(CONTRACTS / "gateway.yaml")
    schema.config.update(base_url=service.market.url("gateway"))
    token = UserTokenIssuer(service.keys).issue(MARIA, ["customer", "admin"])
    operations = [result.ok() for result in schema.get_all_operations()]
    if mode is schemathesis.GenerationMode.NEGATIVE:
        operations = [op for op in operations if len(op.body) or len(op.query) or len(op.path_parameters)]
    all_checks = list(CHECKS.get_all())
    for operation in operations:
        # On a proxied route the gateway passes the service's 400 through: whether schema-valid data is
        # accepted there is the service's contract (a rule such as minPrice <= maxPrice cannot be in a
        # schema), checked by the service's own tests. Every other check applies to the gateway.
        proxied = "x-a4co-proxy" in operation.definition.raw
        checks = [c for c in all_checks if not (proxied and c is positive_data_acceptance)]
        _conforms(operation, mode, {"Authorization": f"Bearer {token}"}, checks)


_URI_PATH_VALUE = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@-]*")


def _conforms(
    operation: Any, mode: schemathesis.GenerationMode, headers: dict[str, str], checks: list[Any]
) -> None:
    @hypothesis.settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        derandomize=True,
    )
    @hypothesis.given(case=operation.as_strategy(mode))
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=checks)

    check()
