"""`a4co demo`: customers browse the catalogue and place orders through the gateway; every saga is followed.

Everything goes through the public API with the generated gateway client, as a storefront would: a
search for products, an availability check, `POST /api/orders` with a user token and an Idempotency-Key,
then `GET /api/orders/{id}` until the saga ends. The customers are the seeded ones (decision 009), so the
mix reaches every path on purpose: working cards, a declining card, Bizum without funds, a card whose
processor never answers (the payment deadline compensates), a blocked customer, and orders for more
units than are left.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID, uuid4

from a4co.seed import customers as seeded
from a4co_sdk import ApiError
from a4co_sdk.clients import TooManyRequests
from a4co_sdk.clients.gateway import GatewayClient
from a4co_sdk.models import common, gateway, order, product
from services.platform.security import KeyStore, UserTokenIssuer

__all__ = ["DemoOrder", "outcome_of", "run_demo"]

TERMINAL = {"delivery_scheduled", "cancelled"}
POLL = 0.5


@dataclass
class DemoOrder:
    customer: str
    plan: str
    order_id: UUID | None = None
    state: str = "placing"
    step: str = ""
    reason: str | None = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    error: str | None = None

    @property
    def seconds(self) -> float:
        return (self.finished or time.monotonic()) - self.started


def outcome_of(o: DemoOrder) -> str:
    """The summary bucket of a finished order."""
    if o.error:
        return "error"
    if o.state in ("delivery_scheduled", "confirmed"):
        return "confirmed"
    if o.state != "cancelled":
        return "unfinished"
    if o.reason == "insufficient_stock":
        return "cancelled: stock"
    if o.reason in ("payment_declined", "payment_method_invalid"):
        return "cancelled: payment"
    if o.reason in ("payment_timeout", "reservation_expired", "saga_timeout"):
        return "cancelled: expired"
    return f"cancelled: {o.reason}"


def _plans(count: int, rng: random.Random) -> list[tuple[seeded.SeedCustomer, str]]:
    named = {c.email: c for c in seeded.NAMED}
    working = [c for c in seeded.CUSTOMERS if not c.blocked and c.email not in named] or [
        named["maria.lopez@example.es"]
    ]
    special = [
        (named["juan.martinez@example.es"], "declining card"),
        (named["lucia.garcia@example.es"], "Bizum without funds"),
        (named["pedro.ruiz@example.es"], "processor never answers"),
        (named["bloqueado@example.es"], "blocked customer"),
        (named["maria.lopez@example.es"], "more than is in stock"),
    ]
    plans: list[tuple[seeded.SeedCustomer, str]] = []
    for i in range(count):
        if i % 4 == 3 and special:
            plans.append(special[(i // 4) % len(special)])
        else:
            plans.append((rng.choice(working), "regular"))
    return plans


async def _catalogue(client: GatewayClient) -> list[product.ProductSummary]:
    found: list[product.ProductSummary] = []
    for query in ("aceite", "cerámica", "jarapa", "madera", "cuero", "miel"):
        result = await client.gateway_search_products(q=query, in_stock=True, page_size=20)
        found.extend(result.items)
    if not found:
        raise RuntimeError("the catalogue is empty: run `a4co seed` (make run does it) before the demo")
    return found


async def _place(
    client: GatewayClient,
    demo: DemoOrder,
    customer: seeded.SeedCustomer,
    catalogue: list[product.ProductSummary],
    rng: random.Random,
) -> None:
    picks = rng.sample(catalogue, k=min(len(catalogue), rng.randint(1, 3)))
    quantities = [rng.randint(1, 3) for _ in picks]
    if demo.plan == "more than is in stock":
        level = await client.gateway_get_product_availability(product_id=picks[0].product_id)
        quantities[0] = min(999, level.available + 1)
    command = gateway.CreateOrderRequest(
        customer_id=customer.id,
        items=[
            order.OrderItem(product_id=p.product_id, quantity=q, unit_price=p.price)
            for p, q in zip(picks, quantities, strict=True)
        ],
        delivery_address=seeded.address(customer),
        payment_method_id=seeded.payment_method_id(customer.email, 0),
        metadata=order.OrderMetadata(
            device_info=common.DeviceInfo(type="desktop"), session_id=f"demo-{uuid4().hex[:8]}"
        ),
    )
    accepted = await client.gateway_create_order(body=command, idempotency_key=str(uuid4()))
    demo.order_id = accepted.order_id
    demo.state = "accepted"


async def _follow(client: GatewayClient, demo: DemoOrder, wait: float) -> None:
    assert demo.order_id is not None
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            view = await client.gateway_get_order(order_id=demo.order_id)
        except TooManyRequests as exc:  # the customer's rate limit: a slow saga polled for long spends it
            await asyncio.sleep(float(exc.headers.get("retry-after", "1")) if exc.headers else 1.0)
            continue
        if isinstance(view, order.OrderView):
            demo.state = view.state.value
            demo.step = view.saga.current_step.value if view.saga.current_step else ""
            demo.reason = view.cancellation_reason.value if view.cancellation_reason else None
            if demo.state in TERMINAL:
                demo.finished = time.monotonic()
                return
        await asyncio.sleep(POLL)
    demo.error = f"no end state after {wait:.0f} s"


async def run_demo(
    gateway_url: str,
    keys_dir: Path,
    *,
    orders: int,
    concurrency: int = 8,
    wait: float = 90.0,
    seed: int = 7,
    on_change: Callable[[list[DemoOrder]], None] = lambda _: None,
) -> list[DemoOrder]:
    rng = random.Random(seed)  # noqa: S311 - a reproducible mix, not security
    issuer = UserTokenIssuer(KeyStore(keys_dir))

    def token_for(user_id: UUID) -> Callable[[], Awaitable[str | None]]:
        token = issuer.issue(user_id, ["customer"])

        async def provide() -> str | None:
            return token

        return provide

    plans = _plans(orders, rng)
    demos = [DemoOrder(customer=c.email, plan=plan) for c, plan in plans]
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> None:
        customer, _ = plans[index]
        demo = demos[index]
        async with gate, GatewayClient(gateway_url, token=token_for(customer.id), timeout=5.0) as client:
            try:
                await _place(client, demo, customer, catalogue, rng)
                await _follow(client, demo, wait)
            except ApiError as exc:
                demo.error = f"{exc.status}: {exc}"
            finally:
                on_change(demos)

    async with GatewayClient(gateway_url, timeout=5.0) as browser:
        catalogue = await _catalogue(browser)

    async def refresh() -> None:
        while True:
            on_change(demos)
            await asyncio.sleep(0.5)

    ticker = asyncio.create_task(refresh())
    try:
        await asyncio.gather(*(one(i) for i in range(orders)))
    finally:
        ticker.cancel()
    return demos


def summary(demos: list[DemoOrder]) -> dict[str, tuple[int, float, float]]:
    """Outcome -> (count, p50 seconds, max seconds)."""
    buckets: dict[str, list[float]] = {}
    for demo in demos:
        buckets.setdefault(outcome_of(demo), []).append(demo.seconds)
    result = {}
    for name, times in sorted(buckets.items()):
        ordered = sorted(times)
        result[name] = (len(ordered), ordered[len(ordered) // 2], ordered[-1])
    return result
