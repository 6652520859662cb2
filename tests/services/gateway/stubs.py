"""Stand-ins for the order and product services, served in the test process on the generated interfaces.

The gateway's behaviour around a downstream service (202 while an order is being created, 409 by state,
timeouts, an opening circuit) needs a service whose answers the test decides. These stubs are real HTTP
servers on the contract's generated server interfaces, with the platform's authenticator, so the gateway
reaches them exactly as it reaches the real services: its own service token, `x-a4co-callers` checked.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import uvicorn
import yaml
from starlette.applications import Starlette

from a4co_sdk._runtime.http_server import HttpProblem, current_request
from a4co_sdk.models import common, order, platform, product
from a4co_sdk.servers import order as order_server
from a4co_sdk.servers import product as product_server
from services.platform.kit import PROBLEM_TYPES
from services.platform.security import KeyStore, RequestAuthenticator, ServiceTokenVerifier

CONTRACTS = Path(__file__).parents[3] / "contracts" / "openapi"


def example(document: str, name: str) -> Any:
    spec = yaml.safe_load((CONTRACTS / f"{document}.yaml").read_text())
    return spec["components"]["examples"][name]["value"]


class Seen:
    """What the last request to a stub carried: its request id, trace and caller."""

    def __init__(self) -> None:
        self.request_id: str | None = None
        self.traceparent: str | None = None
        self.caller: str | None = None

    def record(self) -> None:
        info = current_request()
        self.request_id = info.request_id
        self.traceparent = info.request.headers.get("traceparent")
        self.caller = getattr(info.principal, "service", None)


class _Probes:
    name = ""

    async def get_health(self) -> platform.Health:
        return platform.Health(status="ok", service=self.name, version="stub")

    async def get_readiness(self) -> platform.Readiness:
        return platform.Readiness(status=platform.ReadinessStatus.READY, checks=platform.ReadinessChecks({}))

    async def get_metrics(self) -> str:
        return ""


class OrderStub(_Probes, order_server.OrderApi):
    """The order read model: `views` holds the orders the order service "has created"."""

    name = "order"

    def __init__(self) -> None:
        self.views: dict[UUID, order.OrderView] = {}
        self.seen = Seen()

    async def get_order(self, *, order_id: UUID, x_request_id: str | None) -> order.OrderView:
        self.seen.record()
        view = self.views.get(order_id)
        if view is None:
            raise HttpProblem(404, detail=f"There is no order {order_id}.")
        return view

    def create(
        self, order_id: UUID, customer_id: UUID, state: str, lines: dict[UUID, int]
    ) -> order.OrderView:
        base = example("order", "OrderView")
        price = common.Money(amount=Decimal("9.80"), currency="EUR")
        view = order.OrderView.model_validate(base).model_copy(
            update={
                "order_id": order_id,
                "customer_id": customer_id,
                "state": order.OrderState(state),
                "items": [
                    order.OrderItem(product_id=p, quantity=q, unit_price=price) for p, q in lines.items()
                ],
            }
        )
        self.views[order_id] = view
        return view


class ProductStub(_Probes, product_server.ProductApi):
    """The product service; `mode` is `ok`, `slow` (answers after `delay`) or `failing` (500)."""

    name = "product"

    def __init__(self) -> None:
        self.mode = "ok"
        self.delay = 3.0
        self.calls = 0
        self.seen = Seen()

    async def _behave(self) -> None:
        self.calls += 1
        self.seen.record()
        if self.mode == "slow":
            await asyncio.sleep(self.delay)
        elif self.mode == "failing":
            raise RuntimeError("the product stub was told to fail")  # the runtime answers 500

    async def search_products(self, **_: Any) -> product.SearchResult:
        await self._behave()
        return product.SearchResult.model_validate(example("product", "SearchResult"))

    async def get_product_content(
        self, *, product_id: UUID, x_request_id: str | None
    ) -> product.ProductPageContent:
        await self._behave()
        return product.ProductPageContent.model_validate(example("product", "ProductPageContent"))


def _app(api: Any, build: Any, keys: KeyStore, service: str) -> Starlette:
    authenticator = RequestAuthenticator(services=ServiceTokenVerifier(service, keys))
    application: Starlette = build(api, authenticator=authenticator, problem_types=PROBLEM_TYPES)
    return application


@asynccontextmanager
async def serving(app: Starlette, port: int) -> AsyncIterator[None]:
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def stubs(
    keys: KeyStore, order_port: int, product_port: int
) -> AsyncIterator[tuple[OrderStub, ProductStub]]:
    orders, products = OrderStub(), ProductStub()
    async with (
        serving(_app(orders, order_server.app, keys, "order"), order_port),
        serving(_app(products, product_server.app, keys, "product"), product_port),
    ):
        yield orders, products
