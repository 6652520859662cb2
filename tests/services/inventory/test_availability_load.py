"""The availability query under load: the design document's SLA, p99 under 100 ms at 500 requests/s.

Open loop (latency counted from when each request was due), one service token (order's), 50 products,
so the first requests miss the cache and the rest hit it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from a4co_sdk.publishers.product import ProductPublishers
from bench.http_load import run_load
from services.platform.security import ServiceTokenIssuer
from tests.services.harness import Running, running
from tests.unit.inventory.builders import listed

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RATE = 500
SECONDS = 6


@pytest.fixture(scope="module")
async def service(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    async with running(Path(tmp_path_factory.mktemp("inventory-load")), "inventory") as started:
        yield started


async def _projected(service: Running, count: int) -> None:
    info = await service.js.consumer_info("INVENTORY", "inventory-availability-projection")
    assert info.num_pending == 0
    assert info.num_ack_pending == 0
    assert info.delivered.stream_seq >= count


async def test_p99_is_under_100_ms_at_500_requests_a_second(service: Running) -> None:
    products = [uuid4() for _ in range(50)]
    publishers = ProductPublishers(service.js, cipher=service.cipher("product"))
    for product_id in products:
        await publishers.product_listed.publish(listed(product_id, uuid4(), at=datetime.now(UTC)))
    await service.wait_for(lambda: _projected(service, len(products)), timeout=20)
    token = ServiceTokenIssuer("order", service.keys).token_for("inventory")

    result = await run_load(
        service.market.url("inventory"),
        lambda i: f"/api/inventory/availability/{products[i % len(products)]}",
        rate=RATE,
        duration=SECONDS,
        headers={"Authorization": f"Bearer {token}"},
    )

    assert result.errors == 0
    assert result.statuses == {200: RATE * SECONDS}
    assert result.achieved_rate >= RATE * 0.95
    assert result.p(0.99) < 100, f"p50 {result.p(0.5):.1f} ms, p99 {result.p(0.99):.1f} ms"
