"""The profile cache on Redis: one key per profile kind and user, a generation per user, and a TTL.

`get` reads the profile and the user's generation in one round trip; `put` is a script that stores the
profile only if the generation is unchanged; `invalidate` (after a commit) increments the generation and
deletes the profiles. Redis trouble never fails a query: a failed read is a miss, a failed write or
invalidation is logged (the TTL then bounds how long a stale profile can be served).
"""

import logging
from uuid import UUID

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from services.user.application.ports import CachedProfile, ProfileCache
from services.user.application.queries import CHAT, PAYMENT

__all__ = ["PROFILE_TTL_SECONDS", "RedisProfileCache"]

log = logging.getLogger(__name__)

PROFILE_TTL_SECONDS = 300
GENERATION_TTL_SECONDS = 86_400  # outlives every profile cached under it
KINDS = (PAYMENT, CHAT)
MISS = CachedProfile(None, "")

_PUT_IF_CURRENT = """
local generation = redis.call('GET', KEYS[1]) or ''
if generation == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
"""


class RedisProfileCache(ProfileCache):
    def __init__(
        self, redis: aioredis.Redis, *, prefix: str = "a4co:user", ttl: int = PROFILE_TTL_SECONDS
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl = ttl
        self._put = redis.register_script(_PUT_IF_CURRENT)

    def _key(self, kind: str, user_id: UUID) -> str:
        return f"{self._prefix}:{kind}:{user_id}"

    def _generation(self, user_id: UUID) -> str:
        return f"{self._prefix}:generation:{user_id}"

    async def get(self, kind: str, user_id: UUID) -> CachedProfile:
        try:
            body, generation = await self._redis.mget([self._key(kind, user_id), self._generation(user_id)])
        except (RedisError, OSError) as exc:
            log.warning("profile cache unavailable (%s); reading the read model", exc)
            return MISS
        return CachedProfile(
            body if isinstance(body, bytes) else None,
            generation.decode() if isinstance(generation, bytes) else "",
        )

    async def put(self, kind: str, user_id: UUID, body: bytes, generation: str) -> None:
        try:
            await self._put(
                keys=[self._generation(user_id), self._key(kind, user_id)], args=[generation, body, self._ttl]
            )
        except (RedisError, OSError) as exc:
            log.warning("profile cache unavailable (%s); not cached", exc)

    async def invalidate(self, user_ids: set[UUID]) -> None:
        if not user_ids:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for user_id in user_ids:
                    pipe.incr(self._generation(user_id))
                    pipe.expire(self._generation(user_id), GENERATION_TTL_SECONDS)
                    pipe.delete(*(self._key(kind, user_id) for kind in KINDS))
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning(
                "could not invalidate %d cached profiles (%s); their TTL bounds them", len(user_ids), exc
            )

    async def clear(self) -> None:
        try:
            for kind in KINDS:
                async for key in self._redis.scan_iter(match=f"{self._prefix}:{kind}:*", count=500):
                    await self._redis.delete(key)
        except (RedisError, OSError) as exc:
            log.warning("could not clear the profile cache (%s); the TTL bounds it", exc)
