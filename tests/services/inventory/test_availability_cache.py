"""The availability cache on a real Redis: newer versions only, a TTL, and a dead Redis is a miss."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from uuid import UUID

import pytest
import redis.asyncio

from services.inventory.adapters.cache import RedisAvailabilityCache
from services.inventory.application.ports import Availability

pytestmark = pytest.mark.integration

OIL, PLATE = UUID(int=1), UUID(int=2)
T0 = datetime(2026, 11, 20, 10, tzinfo=UTC)


def level(product_id: UUID, version: int, reserved: int = 0) -> Availability:
    return Availability(product_id, 10, reserved, version, T0)


async def test_only_a_newer_version_replaces_a_cached_level(redis_client: redis.asyncio.Redis) -> None:
    cache = RedisAvailabilityCache(redis_client, ttl=60)
    assert await cache.get(OIL) is None

    await cache.put(level(OIL, 5, reserved=2))
    await cache.put(level(OIL, 4))  # a query that read an older row fills the cache late
    await cache.put(level(OIL, 5))  # the same version again

    assert await cache.get(OIL) == level(OIL, 5, reserved=2)
    await cache.put(level(OIL, 6, reserved=1))
    assert await cache.get(OIL) == level(OIL, 6, reserved=1)
    ttl = await redis_client.ttl(f"inventory:availability:{OIL}")
    assert 0 < ttl <= 60


async def test_clear_forgets_every_cached_level(redis_client: redis.asyncio.Redis) -> None:
    cache = RedisAvailabilityCache(redis_client)
    await cache.put(level(OIL, 1))
    await cache.put(level(PLATE, 1))
    await redis_client.set("someone-else", "stays")

    assert await cache.clear() == 2

    assert await cache.get(OIL) is None
    assert await redis_client.get("someone-else") == b"stays"


async def test_an_unreachable_redis_is_a_quick_miss_not_an_error() -> None:
    dead = redis.asyncio.Redis(host="127.0.0.1", port=1)
    cache = RedisAvailabilityCache(dead)
    try:
        for _ in range(3):  # each read gives up within its budget; three failures open the circuit
            started = time.monotonic()
            assert await cache.get(OIL) is None
            assert time.monotonic() - started < 0.5
        started = time.monotonic()
        await cache.put(level(OIL, 1))
        assert await cache.clear() == 0
        assert await cache.get(OIL) is None
        assert time.monotonic() - started < 0.05  # the open circuit does not even try
    finally:
        await dead.aclose()
