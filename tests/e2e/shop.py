"""A storefront for the end-to-end tests: it uses only the gateway, as a client would, and reads the
streams to check what every participant did."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, Self
from uuid import UUID, uuid4

from a4co.seed import customers as seeded
from a4co_sdk import ApiError
from a4co_sdk.clients.gateway import GatewayClient
from a4co_sdk.models import common, gateway, inventory, order, product
from services.platform.security import KeyStore, UserTokenIssuer
from tests.services.harness import Running

TERMINAL = ("delivery_scheduled", "cancelled")

NAMED = {c.email: c for c in seeded.NAMED}
MARIA = NAMED["maria.lopez@example.es"]
JUAN = NAMED["juan.martinez@example.es"]
LUCIA = NAMED["lucia.garcia@example.es"]
PEDRO = NAMED["pedro.ruiz@example.es"]
BLOCKED = NAMED["bloqueado@example.es"]
WORKING = [c for c in seeded.CUSTOMERS if c.email not in NAMED and not c.blocked]


class Priced(Protocol):
    """Anything with a product id and a price: a search result, a seed listing."""

    @property
    def product_id(self) -> UUID: ...

    @property
    def price(self) -> common.Money: ...


class Shop:
    def __init__(self, market: Running) -> None:
        self.market = market
        self.issuer = UserTokenIssuer(KeyStore(market.root / "keys"))
        self.url = market.market.url("gateway")
        self.public = GatewayClient(self.url, timeout=5.0)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.public.aclose()

    def client(self, customer: seeded.SeedCustomer, roles: Sequence[str] = ("customer",)) -> GatewayClient:
        token = self.issuer.issue(customer.id, list(roles))

        async def provide() -> str | None:
            return token

        return GatewayClient(self.url, token=provide, timeout=5.0)

    async def wait_until_seeded(self) -> None:
        """The read models are built from the seed's events: wait until search and profiles answer."""

        async def ready() -> None:
            found = await self.public.gateway_search_products(q="aceite", page_size=5)
            assert found.total > 0
            async with self.client(MARIA) as client:
                profile = await client.gateway_get_payment_profile(user_id=MARIA.id)
                assert profile.payment_methods
            level = await self.public.gateway_get_product_availability(product_id=found.items[0].product_id)
            assert level.on_hand > 0

        await self.market.wait_for(ready, timeout=60, every=0.5)

    async def products(
        self, count: int, *, query: str = "aceite", min_available: int = 5
    ) -> list[product.ProductSummary]:
        found = await self.public.gateway_search_products(q=query, in_stock=True, page_size=50)
        chosen = []
        for item in found.items:
            if (await self.availability(item.product_id)).available >= min_available:
                chosen.append(item)
            if len(chosen) == count:
                return chosen
        raise AssertionError(f"not {count} products with {min_available} units for {query!r}")

    async def availability(self, product_id: UUID) -> inventory.ProductAvailability:
        return await self.public.gateway_get_product_availability(product_id=product_id)

    async def restocked(self, product_ids: Sequence[UUID]) -> dict[UUID, int]:
        """Units added to each product outside reservations so far (restocks, corrections)."""
        totals = dict.fromkeys(product_ids, 0)
        count = await self.market.count("INVENTORY", "inventory.stock.adjusted.v1")
        if count:
            wanted = {str(pid) for pid in product_ids}
            for event in await self.market.messages(
                "INVENTORY", "inventory.stock.adjusted.v1", count=count, timeout=30
            ):
                if event["productId"] in wanted and event["reason"] != "initial":
                    totals[UUID(event["productId"])] += int(event["delta"])
        return totals

    async def place(
        self,
        customer: seeded.SeedCustomer,
        lines: Sequence[tuple[Priced, int]],
        *,
        idempotency_key: str | None = None,
    ) -> UUID:
        """Place an order; the same `idempotency_key` on a retry gives the same order, never a second."""
        request = gateway.CreateOrderRequest(
            customer_id=customer.id,
            items=[
                order.OrderItem(product_id=p.product_id, quantity=q, unit_price=p.price) for p, q in lines
            ],
            delivery_address=seeded.address(customer),
            payment_method_id=seeded.payment_method_id(customer.email, 0),
            metadata=order.OrderMetadata(device_info=common.DeviceInfo(type="mobile"), session_id="e2e"),
        )
        async with self.client(customer) as client:
            accepted = await client.gateway_create_order(
                body=request, idempotency_key=idempotency_key or str(uuid4())
            )
        return accepted.order_id

    async def view(self, customer: seeded.SeedCustomer, order_id: UUID) -> order.OrderView | None:
        async with self.client(customer) as client:
            try:
                seen = await client.gateway_get_order(order_id=order_id)
            except ApiError:
                return None
        return seen if isinstance(seen, order.OrderView) else None

    async def finished(
        self, customer: seeded.SeedCustomer, order_id: UUID, *, timeout: float = 60
    ) -> order.OrderView:
        async def probe() -> order.OrderView:
            seen = await self.view(customer, order_id)
            assert seen is not None, "not created yet"
            assert seen.state.value in TERMINAL, seen.state.value
            return seen

        return await self.market.wait_for(probe, timeout=timeout, every=0.2)

    async def events(self, stream: str, subject: str, order_id: UUID) -> list[Any]:
        """Every message on `subject` about `order_id` (the stream is the record of what was done)."""
        total = await self.market.count(stream, subject)
        if total == 0:
            return []
        everything = await self.market.messages(stream, subject, count=total, timeout=10)
        return [e for e in everything if e.get("orderId") == str(order_id)]

    async def settle(self, probe: Callable[[], Awaitable[Any]], *, timeout: float = 20) -> Any:
        return await self.market.wait_for(probe, timeout=timeout, every=0.2)


async def gather_limited(n: int, *jobs: Awaitable[Any]) -> list[Any]:
    gate = asyncio.Semaphore(n)

    async def one(job: Awaitable[Any]) -> Any:
        async with gate:
            return await job

    return await asyncio.gather(*(one(j) for j in jobs))
