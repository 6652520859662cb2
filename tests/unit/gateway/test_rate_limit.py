"""Rate limits per client with `limits`: on Redis as the service runs them, and failing open."""

import time

import pytest
import redis.asyncio
from limits.aio.storage import MemoryStorage, RedisStorage

from services.gateway.adapters.rate_limit import RateLimiter, parse, redis_storage
from services.gateway.domain.errors import RateLimited


@pytest.fixture
def storage(redis_url: str, redis_client: redis.asyncio.Redis) -> RedisStorage:
    """The storage the gateway uses, on the tests' Redis database (flushed by `redis_client`)."""
    return redis_storage(redis_client, redis_url)


@pytest.mark.integration
async def test_a_user_over_the_limit_is_told_how_long_to_wait(storage: RedisStorage) -> None:
    limiter = RateLimiter(storage, per_user=parse("3/minute"), per_address=parse("100/minute"))
    for _ in range(3):
        await limiter.admit("user", "maria")
    with pytest.raises(RateLimited) as refused:
        await limiter.admit("user", "maria")
    assert 55 <= refused.value.retry_after <= 60  # the first hit leaves the moving window in a minute
    assert refused.value.detail.startswith("The limit of 3 requests per minute was reached")
    assert limiter.refused == 1


@pytest.mark.integration
async def test_clients_are_counted_apart_and_users_apart_from_addresses(storage: RedisStorage) -> None:
    limiter = RateLimiter(storage, per_user=parse("2/minute"), per_address=parse("5/minute"))
    for _ in range(2):
        await limiter.admit("user", "maria")
        await limiter.admit("user", "juan")
    for _ in range(5):
        await limiter.admit("address", "127.0.0.1")
    with pytest.raises(RateLimited):
        await limiter.admit("user", "maria")
    with pytest.raises(RateLimited):
        await limiter.admit("address", "127.0.0.1")
    await limiter.admit("address", "10.0.0.2")


async def test_the_window_moves(monkeypatch: pytest.MonkeyPatch) -> None:
    limiter = RateLimiter(MemoryStorage(), per_user=parse("2/second"), per_address=parse("2/second"))
    await limiter.admit("user", "maria")
    await limiter.admit("user", "maria")
    with pytest.raises(RateLimited) as refused:
        await limiter.admit("user", "maria")
    assert refused.value.retry_after == 1
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 1.1)
    await limiter.admit("user", "maria")


async def test_a_failing_store_lets_requests_through() -> None:
    nowhere = redis.asyncio.Redis.from_url("redis://127.0.0.1:1/0")
    storage = redis_storage(nowhere, "redis://127.0.0.1:1/0")
    limiter = RateLimiter(storage, per_user=parse("1/minute"), per_address=parse("1/minute"))
    for _ in range(3):
        await limiter.admit("user", "maria")
    await nowhere.aclose()
    assert limiter.failures == 3
    assert limiter.refused == 0
