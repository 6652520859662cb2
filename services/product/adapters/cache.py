"""Hot answers (search pages, product pages) cached in Redis, invalidated by the catalogue's version.

Every cached answer is stored under the catalogue version its lookup saw, read before the database was:
`product:<kind>:<version>:<sha1 of the normalized query>`. Applying a catalogue event bumps the version
(after its transaction commits), so every later lookup misses and recomputes from the read model; the old
entries are never read again and expire on their TTL. The TTL is only the memory bound, not the
invalidation.

Why after the commit: a reader that sees the new version then reads the database sees the change. A
reader that read the old version may store an old answer, but under the old version, where nobody looks
(`put` takes the version from the miss it follows, never reads it again: read again after the database,
a change committed in between would file the old answer under the new version).

Redis is a cache, not a dependency: when it fails or is slow, answers come from the database and the
error is logged (once a minute, not per request).
"""

from __future__ import annotations

import abc
import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

__all__ = ["AnswerCache", "InMemoryAnswerCache", "Lookup", "RedisAnswerCache"]

log = logging.getLogger(__name__)

VERSION_KEY = "product:catalog:version"
DEFAULT_TTL = 600
_QUIET_FOR = 60.0
TIMEOUTS_BEFORE_PAUSE = 3


@dataclass(frozen=True, slots=True)
class Lookup:
    """What a lookup found, and the catalogue version it looked under (None: the cache is not usable).

    An answer computed after a miss is stored under that version, the one read before the database
    was: a catalogue change committed meanwhile has moved the version on, so the answer, perhaps
    computed from the older snapshot, lands where nobody looks any more.
    """

    answer: bytes | None
    version: str | None


class AnswerCache(abc.ABC):
    """Answers by (kind, normalized query), valid for one catalogue version."""

    @abc.abstractmethod
    async def get(self, kind: str, key: str) -> Lookup: ...

    @abc.abstractmethod
    async def put(self, kind: str, key: str, answer: bytes, *, seen: Lookup) -> None:
        """Store `answer`, computed after the miss `seen`, under the version `seen` looked under."""

    @abc.abstractmethod
    async def invalidate(self) -> None:
        """The catalogue changed: nothing cached so far may be served again."""


class RedisAnswerCache(AnswerCache):
    """The cache in Redis, bounded in time: a lookup that takes longer than `timeout` is a miss.

    After an error, or three timeouts in a row (a loaded event loop can delay one answer), Redis is left
    alone for `pause` seconds and requests go straight to the database: a Redis that is down costs a
    few timeouts every few seconds, not one per request. An invalidation that
    failed is retried before the cache is used again: answers cached before it must not come back.
    """

    def __init__(
        self, redis: aioredis.Redis, *, ttl: int = DEFAULT_TTL, timeout: float = 0.1, pause: float = 5.0
    ) -> None:
        self._redis = redis
        self._ttl = ttl
        self._timeout = timeout
        self._pause = pause
        self._down_until = 0.0
        self._timeouts = 0
        self._quiet_until = 0.0
        self._invalidation_pending = False
        self.hits = 0
        self.misses = 0

    async def _read(self, key: str) -> bytes | None:
        value = await self._redis.get(key)
        return value.encode() if isinstance(value, str) else value

    async def _version(self) -> bytes:
        version = await self._read(VERSION_KEY)
        if version is None:
            # A Redis that lost its data starts a new series, not at 0 where old entries could still be.
            await self._redis.set(VERSION_KEY, time.time_ns(), nx=True)
            version = await self._read(VERSION_KEY)
        return version or b"0"

    @staticmethod
    def _key(kind: str, version: str, key: str) -> str:
        return f"product:{kind}:{version}:{hashlib.sha1(key.encode()).hexdigest()}"  # noqa: S324 - a cache key, not security

    async def _usable(self) -> bool:
        if time.monotonic() < self._down_until:
            return False
        if self._invalidation_pending:
            await self.invalidate()
            return not self._invalidation_pending
        return True

    async def get(self, kind: str, key: str) -> Lookup:
        if not await self._usable():
            return Lookup(None, None)
        try:
            async with asyncio.timeout(self._timeout):
                version = (await self._version()).decode()
                answer = await self._read(self._key(kind, version, key))
        except (RedisError, TimeoutError) as exc:
            self._failed("read", exc)
            return Lookup(None, None)
        self._timeouts = 0
        if answer is None:
            self.misses += 1
        else:
            self.hits += 1
        return Lookup(answer, version)

    async def put(self, kind: str, key: str, answer: bytes, *, seen: Lookup) -> None:
        if seen.version is None or not await self._usable():
            return
        try:
            async with asyncio.timeout(self._timeout):
                await self._redis.set(self._key(kind, seen.version, key), answer, ex=self._ttl)
        except (RedisError, TimeoutError) as exc:
            self._failed("write", exc)

    async def invalidate(self) -> None:
        try:
            async with asyncio.timeout(max(self._timeout, 1.0)):
                await self._redis.incr(VERSION_KEY)
        except (RedisError, TimeoutError) as exc:
            self._invalidation_pending = True
            self._failed("invalidation", exc)
        else:
            self._invalidation_pending = False

    def _failed(self, what: str, exc: BaseException) -> None:
        now = time.monotonic()
        if isinstance(exc, TimeoutError):
            self._timeouts += 1
            if self._timeouts < TIMEOUTS_BEFORE_PAUSE:
                return
        self._timeouts = 0
        self._down_until = now + self._pause
        if now >= self._quiet_until:
            self._quiet_until = now + _QUIET_FOR
            log.warning(
                "catalogue cache %s failed (%s: %s); answering from the database for %.0f s",
                what,
                type(exc).__name__,
                exc,
                self._pause,
            )


class InMemoryAnswerCache(AnswerCache):
    """For unit tests: the same versioning, in a dict."""

    def __init__(self) -> None:
        self.version = 0
        self.entries: dict[tuple[str, str, str], bytes] = {}

    async def get(self, kind: str, key: str) -> Lookup:
        return Lookup(self.entries.get((kind, str(self.version), key)), str(self.version))

    async def put(self, kind: str, key: str, answer: bytes, *, seen: Lookup) -> None:
        if seen.version is not None:
            self.entries[(kind, seen.version, key)] = answer

    async def invalidate(self) -> None:
        self.version += 1
