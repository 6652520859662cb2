"""The availability cache in Redis: one hash per product, written only with a newer version.

Whoever writes (the projection when a newer level arrives, the HTTP query after reading the database on a
miss) goes through one Lua script that compares versions, so a query that read an older row just before
the projection's update cannot put that row back over the newer one. The projection writes inside its
transaction: a level cached before its row commits is a level that did happen (it is in the stream), and
the row follows. The TTL is a safety net for a write that got lost (Redis unreachable at that moment).

Redis failing is a cache miss, never an error: the query answers from the database. Each call has a
budget (50 ms for a read, on the request path of a 100 ms SLA; longer for a write, off it), and after a
few failures a circuit breaker skips Redis for a few seconds, so a Redis that is down or slow costs the
query next to nothing (the client's own retries would take seconds).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar
from uuid import UUID

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from services.inventory.application.ports import Availability, AvailabilityCache
from services.platform.circuit_breaker import CircuitBreaker, CircuitOpenError

__all__ = ["RedisAvailabilityCache"]

log = logging.getLogger(__name__)

_PUT_IF_NEWER = """
local held = redis.call('HGET', KEYS[1], 'v')
if held and tonumber(held) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'b', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""
_COMPLAIN_EVERY = 10.0
_UNAVAILABLE = (RedisError, OSError, TimeoutError)
T = TypeVar("T")


def _redis_failed(exc: BaseException) -> bool:
    return isinstance(exc, _UNAVAILABLE)


class RedisAvailabilityCache(AvailabilityCache):
    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        ttl: int = 60,
        prefix: str = "inventory:availability:",
        read_budget: float = 0.05,
        write_budget: float = 0.5,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self._redis = redis
        self._ttl = ttl
        self._prefix = prefix
        self._read_budget = read_budget
        self._write_budget = write_budget
        self._breaker = breaker or CircuitBreaker(
            "availability cache", failure_threshold=3, reset_timeout=5.0, is_failure=_redis_failed
        )
        self._put = redis.register_script(_PUT_IF_NEWER)
        self._complained = 0.0

    def _key(self, product_id: UUID) -> str:
        return f"{self._prefix}{product_id}"

    async def get(self, product_id: UUID) -> Availability | None:
        key = self._key(product_id)

        async def read() -> bytes | str | None:
            found: bytes | str | None = await self._redis.hget(key, "b")
            return found

        body = await self._call(read, self._read_budget, None)
        if body is None:
            return None
        data = orjson.loads(body)
        return Availability(
            UUID(data["p"]), data["o"], data["r"], data["v"], datetime.fromisoformat(data["u"])
        )

    async def put(self, availability: Availability) -> None:
        key = self._key(availability.product_id)
        body = orjson.dumps(
            {
                "p": str(availability.product_id),
                "o": availability.on_hand,
                "r": availability.reserved,
                "v": availability.version,
                "u": availability.updated_at.isoformat(),
            }
        )

        async def write() -> None:
            await self._put(keys=[key], args=[availability.version, body, self._ttl])

        await self._call(write, self._write_budget, None)

    async def clear(self) -> int:
        """Forget every cached level (after a rebuild of the read model); returns how many."""

        async def delete_all() -> int:
            deleted = 0
            async for key in self._redis.scan_iter(match=f"{self._prefix}*", count=500):
                deleted += int(await self._redis.delete(key))
            return deleted

        return await self._call(delete_all, 30.0, 0)

    async def _call(self, operation: Callable[[], Awaitable[T]], budget: float, default: T) -> T:
        """`operation` within `budget` seconds unless Redis is known to be down; `default` otherwise."""

        async def bounded() -> T:
            async with asyncio.timeout(budget):
                return await operation()

        try:
            return await self._breaker.call(bounded)
        except CircuitOpenError:
            return default
        except _UNAVAILABLE as exc:
            self._complain(exc)
            return default

    def _complain(self, exc: BaseException) -> None:
        """One warning every few seconds, not one per request, while Redis is away."""
        now = time.monotonic()
        if now - self._complained >= _COMPLAIN_EVERY:
            self._complained = now
            log.warning(
                "availability cache unavailable (%s: %s); answering from the database",
                type(exc).__name__,
                exc,
            )
