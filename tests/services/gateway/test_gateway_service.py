"""The gateway as a process, with auth, against stand-ins for order and product it can reach.

Commands: `POST /api/orders` stores `CreateOrder` on JetStream with the request's flow and answers 202;
idempotency keys replay or conflict; `GET` answers 202 until the order exists; changes and cancellations
are checked against the order's state. Resilience: 504 when the budget runs out, 503 (at once, with
`Retry-After`) when a circuit is open, 429 past the rate limit. Security: 401 and 403. Tracking: a signed-in
search emits `user.behavior.tracked.v1`. Inventory, user, artisan and analytics are not running here
(their routes answer 503); `test_gateway_with_peers.py` runs the real ones where they exist.
"""

import asyncio
import base64
import re
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from typer.testing import CliRunner

from a4co.cli import app as cli
from a4co.devstack.ports import free_port
from services.gateway.domain.orders import command_message_id, order_id_for
from services.platform.ids import customer_id
from services.platform.security import KeyStore, UserTokenIssuer
from tests.services.gateway.stubs import OrderStub, ProductStub, example, stubs
from tests.services.harness import Running, body, running

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

USER_LIMIT = 30
BREAKER_FAILURES = 3
BREAKER_OPEN = 2.0
TIMEOUT_SCALE = 2.5  # search's budget: 200 ms x 3 x 2.5 = 1.5 s
PROBLEM = "application/problem+json"


class Gateway:
    def __init__(self, service: Running, orders: OrderStub, products: ProductStub) -> None:
        self.service = service
        self.orders = orders
        self.products = products
        self.http = httpx.AsyncClient(base_url=service.market.url("gateway"), timeout=10)

    def token(self, *roles: str, user: uuid.UUID | None = None) -> str:
        return UserTokenIssuer(self.service.keys).issue(user or uuid.uuid4(), roles or ("customer",))

    @staticmethod
    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
async def gateway(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Gateway]:
    root = Path(tmp_path_factory.mktemp("gateway"))
    order_port, product_port = free_port(), free_port()
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    env = {
        "A4CO_URL_ORDER": f"http://127.0.0.1:{order_port}",
        "A4CO_URL_PRODUCT": f"http://127.0.0.1:{product_port}",
        **{f"A4CO_URL_{name.upper()}": nowhere for name in ("inventory", "user", "artisan", "analytics")},
        "A4CO_GATEWAY_TIMEOUT_SCALE": str(TIMEOUT_SCALE),
        "A4CO_GATEWAY_BREAKER_FAILURES": str(BREAKER_FAILURES),
        "A4CO_GATEWAY_BREAKER_OPEN_SECONDS": str(BREAKER_OPEN),
        "A4CO_GATEWAY_RATE_LIMIT_USER": f"{USER_LIMIT}/minute",
        "A4CO_GATEWAY_RATE_LIMIT_ADDRESS": "100000/minute",
    }
    async with (
        stubs(KeyStore(root / "keys"), order_port, product_port) as (orders, products),
        running(root, "auth", "gateway", env=env) as service,
    ):
        gateway = Gateway(service, orders, products)
        yield gateway
        await gateway.http.aclose()


def order_request(customer: uuid.UUID, quantity: int = 3) -> dict[str, Any]:
    request: dict[str, Any] = example("gateway", "CreateOrderRequest")
    request["customerId"] = str(customer)
    request["items"][0]["quantity"] = quantity
    return request


def trace() -> tuple[str, str]:
    trace_id = secrets.token_hex(16)
    return trace_id, f"00-{trace_id}-{secrets.token_hex(8)}-01"


def assert_problem(response: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem: dict[str, Any] = response.json()
    assert problem["type"] == f"https://a4co.example/problems/{kind}"
    assert problem["status"] == status
    assert problem["requestId"] == response.headers["x-request-id"]
    return problem


# -- placing an order ------------------------------------------------------------------------------------


async def test_an_order_is_published_with_the_requests_flow_and_accepted(gateway: Gateway) -> None:
    maria = uuid.uuid4()
    request_id = str(uuid.uuid4())
    trace_id, traceparent = trace()
    key = str(uuid.uuid4())
    response = await gateway.http.post(
        "/api/orders",
        json=order_request(maria),
        headers={
            **gateway.bearer(gateway.token(user=maria)),
            "Idempotency-Key": key,
            "X-Request-Id": request_id,
            "traceparent": traceparent,
        },
    )
    assert response.status_code == 202, response.text
    accepted = response.json()
    order_id = order_id_for(maria, key)
    assert accepted["orderId"] == str(order_id)
    assert accepted["status"] == "accepted"
    assert accepted["links"] == {"self": f"/api/orders/{order_id}"}
    assert response.headers["location"] == f"/api/orders/{order_id}"
    assert response.headers["x-request-id"] == request_id
    assert "idempotent-replayed" not in response.headers

    message = await gateway.service.last("ORDERS", "order.create.v1")
    headers = message.headers or {}
    assert headers["correlation-id"] == request_id
    assert headers["traceparent"].split("-")[1] == trace_id
    assert headers["producer"] == "gateway"
    assert headers["aggregate-id"] == str(order_id)
    assert headers["Nats-Msg-Id"] == str(command_message_id(order_id, "create"))
    command = body(message)
    assert command["orderId"] == str(order_id)
    assert command["customerId"] == str(maria)
    assert command["items"][0]["quantity"] == 3
    assert command["deliveryAddress"]["recipientName"].startswith("enc:v1:")  # pii, encrypted
    assert command["deliveryAddress"]["postalCode"] == "23440"


async def test_the_same_key_and_body_replay_the_answer_and_publish_nothing(gateway: Gateway) -> None:
    maria, key = uuid.uuid4(), str(uuid.uuid4())
    headers = {**gateway.bearer(gateway.token(user=maria)), "Idempotency-Key": key}
    first = await gateway.http.post("/api/orders", json=order_request(maria), headers=headers)
    before = await gateway.service.count("ORDERS", "order.create.v1")
    again = await gateway.http.post("/api/orders", json=order_request(maria), headers=headers)
    assert again.status_code == 202
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert await gateway.service.count("ORDERS", "order.create.v1") == before

    other = await gateway.http.post("/api/orders", json=order_request(maria, quantity=5), headers=headers)
    problem = assert_problem(other, 409, "idempotency-key-reused")
    assert key in problem["detail"]
    assert await gateway.service.count("ORDERS", "order.create.v1") == before


async def test_without_a_key_each_request_is_its_own_order(gateway: Gateway) -> None:
    maria = uuid.uuid4()
    headers = gateway.bearer(gateway.token(user=maria))
    a = await gateway.http.post("/api/orders", json=order_request(maria), headers=headers)
    b = await gateway.http.post("/api/orders", json=order_request(maria), headers=headers)
    assert a.status_code == b.status_code == 202
    assert a.json()["orderId"] != b.json()["orderId"]


async def test_an_order_request_is_validated_before_anything_is_published(gateway: Gateway) -> None:
    maria = uuid.uuid4()
    headers = gateway.bearer(gateway.token(user=maria))
    before = await gateway.service.count("ORDERS", "order.create.v1")
    with_id = {**order_request(maria), "orderId": str(uuid.uuid4())}
    problem = assert_problem(
        await gateway.http.post("/api/orders", json=with_id, headers=headers), 422, "validation-failed"
    )
    assert problem["errors"] == [
        {"pointer": "/orderId", "message": "must not be present: the gateway sets it"}
    ]
    bad = order_request(maria)
    bad["items"][0]["quantity"] = 0
    problem = assert_problem(
        await gateway.http.post("/api/orders", json=bad, headers=headers), 422, "validation-failed"
    )
    assert problem["errors"][0]["pointer"] == "/items/0/quantity"
    for_juan = order_request(uuid.uuid4())
    assert_problem(await gateway.http.post("/api/orders", json=for_juan, headers=headers), 403, "forbidden")
    short_key = {**headers, "Idempotency-Key": "short"}
    assert_problem(
        await gateway.http.post("/api/orders", json=order_request(maria), headers=short_key),
        400,
        "malformed-request",
    )
    assert await gateway.service.count("ORDERS", "order.create.v1") == before


# -- following, changing, cancelling ---------------------------------------------------------------------


async def test_an_order_not_created_yet_is_202_then_200_once_it_exists(gateway: Gateway) -> None:
    maria = uuid.uuid4()
    headers = gateway.bearer(gateway.token(user=maria))
    placed = await gateway.http.post("/api/orders", json=order_request(maria), headers=headers)
    location = placed.headers["location"]

    pending = await gateway.http.get(location, headers=headers)
    assert pending.status_code == 202
    assert pending.headers["retry-after"] == "1"
    assert pending.json() == placed.json()

    juan = gateway.bearer(gateway.token())
    assert_problem(await gateway.http.get(location, headers=juan), 404, "not-found")

    order_id = uuid.UUID(placed.json()["orderId"])
    gateway.orders.create(order_id, maria, "pending", {uuid.uuid4(): 3})
    created = await gateway.http.get(location, headers=headers)
    assert created.status_code == 200
    assert created.json()["orderId"] == str(order_id)
    assert created.json()["state"] == "pending"
    assert_problem(await gateway.http.get(location, headers=juan), 404, "not-found")
    admin = await gateway.http.get(location, headers=gateway.bearer(gateway.token("admin")))
    assert admin.status_code == 200


async def test_an_unknown_order_is_404(gateway: Gateway) -> None:
    response = await gateway.http.get(f"/api/orders/{uuid.uuid4()}", headers=gateway.bearer(gateway.token()))
    assert_problem(response, 404, "not-found")


async def test_lines_of_a_confirmed_order_are_lowered_through_a_command(gateway: Gateway) -> None:
    maria, order_id, oil = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    gateway.orders.create(order_id, maria, "confirmed", {oil: 3})
    headers = gateway.bearer(gateway.token(user=maria))
    request_id = str(uuid.uuid4())
    response = await gateway.http.patch(
        f"/api/orders/{order_id}/items",
        json={"changes": [{"productId": str(oil), "quantity": 2}]},
        headers={**headers, "X-Request-Id": request_id},
    )
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/api/orders/{order_id}"
    message = await gateway.service.last("ORDERS", "order.items.modify.v1")
    assert (message.headers or {})["correlation-id"] == request_id
    command = body(message)
    assert command == {
        "orderId": str(order_id),
        "changes": [{"productId": str(oil), "quantity": 2}],
        "requestedBy": str(maria),
    }

    more = await gateway.http.patch(
        f"/api/orders/{order_id}/items",
        json={"changes": [{"productId": str(oil), "quantity": 4}]},
        headers=headers,
    )
    problem = assert_problem(more, 422, "validation-failed")
    assert problem["errors"] == [
        {"pointer": "/changes/0/quantity", "message": "4 is more than the 3 units ordered"}
    ]


async def test_commands_the_orders_state_forbids_are_409(gateway: Gateway) -> None:
    maria, shipped, paid = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    gateway.orders.create(shipped, maria, "shipped", {uuid.uuid4(): 1})
    gateway.orders.create(paid, maria, "paid", {uuid.uuid4(): 1})
    headers = gateway.bearer(gateway.token(user=maria))
    cancel = await gateway.http.post(
        f"/api/orders/{shipped}/cancel", json={"reason": "tarde"}, headers=headers
    )
    assert "shipped" in assert_problem(cancel, 409, "order-state-conflict")["detail"]
    change = await gateway.http.patch(
        f"/api/orders/{paid}/items",
        json={"changes": [{"productId": str(uuid.uuid4()), "quantity": 0}]},
        headers=headers,
    )
    assert_problem(change, 409, "order-state-conflict")
    before = await gateway.service.count("ORDERS", "order.cancel.v1")
    ok = await gateway.http.post(
        f"/api/orders/{paid}/cancel", json={"reason": "Ya no lo necesito"}, headers=headers
    )
    assert ok.status_code == 202
    assert await gateway.service.count("ORDERS", "order.cancel.v1") == before + 1
    assert body(await gateway.service.last("ORDERS", "order.cancel.v1"))["requestedBy"] == str(maria)


async def test_cancelling_an_order_still_being_created_is_409_with_retry_after(gateway: Gateway) -> None:
    maria = uuid.uuid4()
    headers = gateway.bearer(gateway.token(user=maria))
    placed = await gateway.http.post("/api/orders", json=order_request(maria), headers=headers)
    cancel = await gateway.http.post(
        f"{placed.headers['location']}/cancel", json={"reason": "me equivoqué"}, headers=headers
    )
    problem = assert_problem(cancel, 409, "order-state-conflict")
    assert "still being created" in problem["detail"]
    assert cancel.headers["retry-after"] == "1"


# -- who may call ----------------------------------------------------------------------------------------


async def test_no_token_or_a_bad_one_is_401_with_a_challenge(gateway: Gateway) -> None:
    path = f"/api/orders/{uuid.uuid4()}"
    missing = await gateway.http.get(path)
    assert_problem(missing, 401, "unauthorized")
    assert missing.headers["www-authenticate"] == 'Bearer realm="a4co-marketplace"'
    garbage = await gateway.http.get(path, headers=gateway.bearer("not.a.token"))
    assert_problem(garbage, 401, "unauthorized")
    assert 'error="invalid_token"' in garbage.headers["www-authenticate"]
    expired = UserTokenIssuer(gateway.service.keys).issue(
        uuid.uuid4(), ["customer"], not_before=time.time() - 3600, lifetime=60
    )
    late = await gateway.http.get(path, headers=gateway.bearer(expired))
    assert 'error_description="token expired"' in late.headers["www-authenticate"]


async def test_a_valid_token_without_the_role_or_for_another_user_is_403(gateway: Gateway) -> None:
    customer = gateway.bearer(gateway.token())
    analytics = await gateway.http.get("/api/analytics/real-time", headers=customer)
    assert "admin" in assert_problem(analytics, 403, "forbidden")["detail"]
    profile = await gateway.http.get(f"/api/users/{uuid.uuid4()}/payment-profile", headers=customer)
    assert_problem(profile, 403, "forbidden")
    artisan = gateway.bearer(gateway.token("artisan"))
    placing = await gateway.http.post("/api/orders", json=order_request(uuid.uuid4()), headers=artisan)
    assert_problem(placing, 403, "forbidden")


async def test_a_dev_token_from_the_cli_is_accepted(gateway: Gateway) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "auth",
            "dev-token",
            "--keys-dir",
            str(gateway.service.root / "keys"),
            "--user",
            "lucia.garcia@example.es",
        ],
    )
    assert result.exit_code == 0, result.output
    lucia = customer_id("lucia.garcia@example.es")
    headers = gateway.bearer(result.stdout.strip())
    placed = await gateway.http.post("/api/orders", json=order_request(lucia), headers=headers)
    assert placed.status_code == 202, placed.text
    assert (await gateway.http.get(placed.headers["location"], headers=headers)).status_code == 202


# -- resilience ------------------------------------------------------------------------------------------


async def test_past_the_rate_limit_a_user_gets_429_with_retry_after(gateway: Gateway) -> None:
    headers = gateway.bearer(gateway.token())
    path = f"/api/orders/{uuid.uuid4()}"
    statuses = [(await gateway.http.get(path, headers=headers)).status_code for _ in range(USER_LIMIT)]
    assert set(statuses) == {404}
    refused = await gateway.http.get(path, headers=headers)
    problem = assert_problem(refused, 429, "rate-limited")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert f"{USER_LIMIT} requests per minute" in problem["detail"]
    other = await gateway.http.get(path, headers=gateway.bearer(gateway.token()))
    assert other.status_code == 404  # another user has a limit of their own
    assert (await gateway.http.get("/health")).status_code == 200


async def test_a_slow_service_is_504_within_the_routes_budget(gateway: Gateway) -> None:
    gateway.products.mode = "slow"
    try:
        started = time.monotonic()
        response = await gateway.http.get("/api/products/search", params={"q": "aceite"})
        elapsed = time.monotonic() - started
    finally:
        gateway.products.mode = "ok"
    problem = assert_problem(response, 504, "downstream-timeout")
    assert "product" in problem["detail"]
    assert 1.4 < elapsed < 3.5  # 1.5 s budget
    assert (await gateway.http.get("/api/products/search", params={"q": "aceite"})).status_code == 200


async def test_a_failing_service_opens_its_circuit_then_recovers(gateway: Gateway) -> None:
    gateway.products.mode = "failing"
    try:
        for _ in range(BREAKER_FAILURES):
            failed = await gateway.http.get("/api/products/content", params={"productId": str(uuid.uuid4())})
            assert "failed" in assert_problem(failed, 503, "service-unavailable")["detail"]
        calls = gateway.products.calls
        started = time.monotonic()
        refused = await gateway.http.get("/api/products/search")
        assert time.monotonic() - started < 0.5
        problem = assert_problem(refused, 503, "service-unavailable")
        assert "circuit open" in problem["detail"]
        assert 1 <= int(refused.headers["retry-after"]) <= BREAKER_OPEN
        assert gateway.products.calls == calls  # refused without asking
        metrics = (await gateway.http.get("/metrics")).text
        assert 'a4co_gateway_circuit_state{service="product"} 2.0' in metrics
    finally:
        gateway.products.mode = "ok"
    await asyncio.sleep(BREAKER_OPEN + 0.1)
    assert (await gateway.http.get("/api/products/search")).status_code == 200
    assert (await gateway.http.get("/api/products/search")).status_code == 200


async def test_a_service_that_is_not_running_is_503_and_its_circuit_opens(gateway: Gateway) -> None:
    path = f"/api/inventory/availability/{uuid.uuid4()}"
    details = [
        assert_problem(await gateway.http.get(path), 503, "service-unavailable")["detail"]
        for _ in range(BREAKER_FAILURES + 1)
    ]
    assert all("inventory" in d for d in details)
    assert "cannot be reached" in details[0]
    assert "circuit open" in details[-1]


async def test_downstream_calls_carry_the_request_id_the_trace_and_the_gateways_token(
    gateway: Gateway,
) -> None:
    request_id = str(uuid.uuid4())
    trace_id, traceparent = trace()
    response = await gateway.http.get(
        "/api/products/search",
        params={"q": "aceite"},
        headers={"X-Request-Id": request_id, "traceparent": traceparent},
    )
    assert response.status_code == 200
    assert response.json() == example("product", "SearchResult")
    seen = gateway.products.seen
    assert seen.request_id == request_id
    assert seen.traceparent is not None
    assert seen.traceparent.split("-")[1] == trace_id
    assert seen.caller == "gateway"


# -- tracking and probes ---------------------------------------------------------------------------------


async def test_a_signed_in_search_and_view_are_tracked_and_anonymous_ones_are_not(gateway: Gateway) -> None:
    maria = uuid.uuid4()
    token = gateway.token(user=maria)
    token_id = orjson.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))["jti"]
    before = await gateway.service.count("USER_ACTIVITY", "user.behavior.tracked.v1")
    anonymous = await gateway.http.get("/api/products/search", params={"q": "aceite"})
    assert anonymous.status_code == 200
    searched = await gateway.http.get(
        "/api/products/search",
        params={"q": "aceite picual", "maxPrice": "20.00"},
        headers=gateway.bearer(token),
    )
    assert searched.status_code == 200
    event = body(await gateway.service.last("USER_ACTIVITY", "user.behavior.tracked.v1"))
    assert event["userId"] == str(maria)
    assert event["action"] == "search"
    assert event["context"]["searchQuery"] == "aceite picual"
    assert event["context"]["filters"] == {"maxPrice": "20.00"}
    product_id = uuid.uuid4()
    viewed = await gateway.http.get(
        "/api/products/content", params={"productId": str(product_id)}, headers=gateway.bearer(token)
    )
    assert viewed.status_code == 200

    async def two_more() -> None:
        assert await gateway.service.count("USER_ACTIVITY", "user.behavior.tracked.v1") == before + 2

    await gateway.service.wait_for(two_more)
    view = body(await gateway.service.last("USER_ACTIVITY", "user.behavior.tracked.v1"))
    assert (view["action"], view["context"]["productId"]) == ("product_view", str(product_id))
    assert view["sessionId"] == event["sessionId"] == token_id  # one token, one signed-in session


async def test_probes_answer_and_metrics_name_the_circuits(gateway: Gateway) -> None:
    assert (await gateway.http.get("/health")).json()["service"] == "gateway"
    ready = (await gateway.http.get("/ready")).json()
    assert ready == {"status": "ready", "checks": {"nats": "ok", "redis": "ok"}}
    metrics = (await gateway.http.get("/metrics")).text
    assert re.search(r'a4co_gateway_circuit_state\{service="auth"\} 0\.0', metrics)


async def test_an_unknown_path_is_a_problem_too(gateway: Gateway) -> None:
    response = await gateway.http.get("/api/nothing-here")
    assert_problem(response, 404, "not-found")
    assert orjson.loads(response.content)["instance"] == "/api/nothing-here"
