"""The Redis answer cache: versioned by the catalogue, invalidated by a bump, harmless when Redis fails."""

import time

import pytest
import redis.asyncio

from services.product.adapters.cache import VERSION_KEY, RedisAnswerCache

pytestmark = pytest.mark.integration


async def test_answers_live_until_the_catalogue_version_moves(redis_client: redis.asyncio.Redis) -> None:
    cache = RedisAnswerCache(redis_client, ttl=60)
    miss = await cache.get("search", "q=aceite")
    assert miss.answer is None
    await cache.put("search", "q=aceite", b'{"total": 3}', seen=miss)
    assert (await cache.get("search", "q=aceite")).answer == b'{"total": 3}'
    assert (await cache.get("content", "q=aceite")).answer is None  # kinds do not mix
    version = await redis_client.get(VERSION_KEY)
    assert version is not None
    assert int(version) > 10**18  # a fresh series starts at the clock, not at 0

    await cache.invalidate()
    assert (await cache.get("search", "q=aceite")).answer is None
    assert int(await redis_client.get(VERSION_KEY) or 0) == int(version) + 1
    assert (cache.hits, cache.misses) == (1, 3)
    ttl = await redis_client.ttl(next(iter(await redis_client.keys("product:search:*"))))
    assert 0 < ttl <= 60


async def test_a_redis_that_fails_is_a_quick_miss_not_an_error(redis_client: redis.asyncio.Redis) -> None:
    broken = redis.asyncio.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    cache = RedisAnswerCache(broken, timeout=0.05, pause=60)
    started = time.monotonic()
    for _ in range(3):  # three timeouts in a row...
        assert (await cache.get("search", "q=aceite")).answer is None
    paused = time.monotonic()
    miss = await cache.get("search", "q=aceite")  # ...and Redis is left alone: not even tried
    await cache.put("search", "q=aceite", b"{}", seen=miss)
    assert (await cache.get("search", "q=aceite")).answer is None
    assert time.monotonic() - paused < 0.01
    assert paused - started < 0.5
    await broken.aclose()


async def test_a_failed_invalidation_is_retried_before_the_cache_is_used_again(
    redis_client: redis.asyncio.Redis,
) -> None:
    cache = RedisAnswerCache(redis_client, pause=0)
    await cache.put("search", "q=aceite", b"old", seen=await cache.get("search", "q=aceite"))
    version = int(await redis_client.get(VERSION_KEY) or 0)
    cache._invalidation_pending = True  # as if Redis had been unreachable when the catalogue changed
    assert (await cache.get("search", "q=aceite")).answer is None  # the old answer is not served
    assert int(await redis_client.get(VERSION_KEY) or 0) == version + 1


async def test_an_answer_computed_across_a_catalogue_change_is_never_served(
    redis_client: redis.asyncio.Redis,
) -> None:
    cache = RedisAnswerCache(redis_client, ttl=60)
    miss = await cache.get("search", "q=picual")  # a request misses, then reads the database...
    await cache.invalidate()  # ...while a catalogue change commits and moves the version on
    await cache.put("search", "q=picual", b"computed from the older snapshot", seen=miss)
    assert (await cache.get("search", "q=picual")).answer is None
