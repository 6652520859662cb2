"""Rate limits per client, shared by every gateway instance through Redis (the `limits` library).

A signed-in client is limited per user (the token's subject), any other per address, as the contract
says (per user on authenticated routes, per address on public ones; a public route called with a token
counts for its user). Moving windows: no burst of twice the limit across a window boundary, at the cost
of one Redis list per client. The limiter runs before routing, so malformed requests, unknown paths and
bad tokens count too; the probes (`/health`, `/ready`, `/metrics`) never do.

When Redis fails the request is let through (and logged): the limiter protects the services, and a
marketplace that refuses every customer because its limiter's store is down protects nothing.
"""

import logging
import math
import time
from collections.abc import Callable

import redis.asyncio as aioredis
from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from services.gateway.adapters.problems import problem_response
from services.gateway.adapters.users import Identities
from services.gateway.domain.errors import RateLimited

__all__ = ["PROBES", "RateLimitMiddleware", "RateLimiter", "parse", "redis_storage"]

log = logging.getLogger(__name__)

PROBES = frozenset({"/health", "/ready", "/metrics"})


def redis_storage(redis: aioredis.Redis, url: str) -> RedisStorage:
    """The limits' storage on `redis`'s connection pool (the service's own, closed when it stops)."""
    return RedisStorage(
        f"async+{url}",
        implementation="redispy",
        wrap_exceptions=True,
        # limits types its options as scalars; its redis-py bridge takes a connection_pool (documented)
        connection_pool=redis.connection_pool,  # type: ignore[arg-type]
    )


class RateLimiter:
    """Counts each client's requests; `admit` raises `RateLimited` with the seconds to wait."""

    def __init__(
        self,
        storage: Storage,
        *,
        per_user: RateLimitItem,
        per_address: RateLimitItem,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.storage = storage
        self.strategy = MovingWindowRateLimiter(storage)
        self.limits = {"user": per_user, "address": per_address}
        self._clock = clock
        self.refused = 0
        self.failures = 0

    async def admit(self, kind: str, client: str) -> None:
        item = self.limits[kind]
        try:
            if await self.strategy.hit(item, kind, client):
                return
            stats = await self.strategy.get_window_stats(item, kind, client)
        except Exception as exc:  # noqa: BLE001 - any failure of the store lets the request through
            self.failures += 1
            log.warning("rate limiter store failed, request let through: %s", exc)
            return
        self.refused += 1
        wait = max(1, math.ceil(stats.reset_time - self._clock()))
        raise RateLimited(
            f"The limit of {item.amount} requests per {_period(item)} was reached; retry in {wait} "
            f"second{'s' if wait != 1 else ''}.",
            retry_after=wait,
        )


def _period(item: RateLimitItem) -> str:
    unit = item.GRANULARITY.name
    return unit if item.multiples == 1 else f"{item.multiples} {unit}s"


class RateLimitMiddleware:
    """ASGI middleware: 429 problem+json with `Retry-After` before the request reaches a route."""

    def __init__(self, app: ASGIApp, *, limiter: RateLimiter, identities: Identities) -> None:
        self.app = app
        self.limiter = limiter
        self.identities = identities

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in PROBES:
            await self.app(scope, receive, send)
            return
        identity = await self.identities.of(scope)
        try:
            await self.limiter.admit(*identity.client)
        except RateLimited as refused:
            await problem_response(scope, refused)(scope, receive, send)
            return
        await self.app(scope, receive, send)
