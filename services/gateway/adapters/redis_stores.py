"""What the gateway keeps in Redis: idempotency keys, accepted orders and verdicts on user tokens.

Keys are namespaced `gateway:` and always carry a TTL, so Redis holds no state the gateway could leak.
Idempotency keys and tokens are stored as SHA-256 digests: a client's key may be anything printable, and
a bearer token must never sit in a cache in the clear. A Redis failure becomes `Unavailable` (503) where
the answer depends on Redis (idempotency), and a cache miss where it does not (token verdicts).
"""

import hashlib
import logging
from datetime import datetime
from uuid import UUID

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from services.gateway.application.ports import AcceptedOrders, IdempotencyKeys
from services.gateway.domain.errors import Unavailable
from services.gateway.domain.idempotency import KeyRecord
from services.gateway.domain.orders import AcceptedOrder

__all__ = ["RedisAcceptedOrders", "RedisIdempotencyKeys", "RedisTokenVerdicts", "digest"]

log = logging.getLogger(__name__)

DAY = 24 * 3600
CLAIM_SECONDS = 30
"""How long an in-progress claim blocks its key: longer than any command's time budget, short enough
that a gateway that died mid-request does not block the key for long."""


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _unavailable(exc: RedisError) -> Unavailable:
    log.warning("redis failed: %s", exc)
    return Unavailable("The gateway's store is unavailable; retry in 1 second.", retry_after=1)


class RedisIdempotencyKeys(IdempotencyKeys):
    def __init__(self, redis: aioredis.Redis, *, ttl: int = DAY, claim_ttl: int = CLAIM_SECONDS) -> None:
        self.redis = redis
        self.ttl = ttl
        self.claim_ttl = claim_ttl

    @staticmethod
    def _key(customer_id: UUID, key: str) -> str:
        return f"gateway:idempotency:{customer_id}:{digest(key)}"

    @staticmethod
    def _encode(record: KeyRecord) -> bytes:
        return orjson.dumps(
            {
                "fingerprint": record.fingerprint,
                "orderId": str(record.order_id),
                "acceptedAt": record.accepted_at.isoformat() if record.accepted_at else None,
            }
        )

    @staticmethod
    def _decode(raw: bytes) -> KeyRecord:
        data = orjson.loads(raw)
        accepted = data.get("acceptedAt")
        return KeyRecord(
            data["fingerprint"], UUID(data["orderId"]), datetime.fromisoformat(accepted) if accepted else None
        )

    async def claim(self, customer_id: UUID, key: str, record: KeyRecord) -> KeyRecord | None:
        name = self._key(customer_id, key)
        try:
            for _ in range(3):  # the other claim may expire between SET NX and GET
                if await self.redis.set(name, self._encode(record), nx=True, ex=self.claim_ttl):
                    return None
                existing: bytes | None = await self.redis.get(name)  # type: ignore[assignment] # bytes: no decode_responses
                if existing is not None:
                    return self._decode(existing)
        except RedisError as exc:
            raise _unavailable(exc) from None
        raise Unavailable("The Idempotency-Key could not be claimed; retry in 1 second.", retry_after=1)

    async def complete(self, customer_id: UUID, key: str, record: KeyRecord) -> None:
        try:
            await self.redis.set(self._key(customer_id, key), self._encode(record), ex=self.ttl)
        except RedisError as exc:
            raise _unavailable(exc) from None

    async def release(self, customer_id: UUID, key: str) -> None:
        try:
            await self.redis.delete(self._key(customer_id, key))
        except RedisError as exc:
            raise _unavailable(exc) from None


class RedisAcceptedOrders(AcceptedOrders):
    def __init__(self, redis: aioredis.Redis, *, ttl: int = DAY) -> None:
        self.redis = redis
        self.ttl = ttl

    async def remember(self, accepted: AcceptedOrder) -> None:
        value = orjson.dumps(
            {"customerId": str(accepted.customer_id), "acceptedAt": accepted.accepted_at.isoformat()}
        )
        try:
            await self.redis.set(f"gateway:accepted:{accepted.order_id}", value, ex=self.ttl)
        except RedisError as exc:
            raise _unavailable(exc) from None

    async def get(self, order_id: UUID) -> AcceptedOrder | None:
        try:
            raw = await self.redis.get(f"gateway:accepted:{order_id}")
        except RedisError as exc:
            raise _unavailable(exc) from None
        if raw is None:
            return None
        data = orjson.loads(raw)
        return AcceptedOrder(order_id, UUID(data["customerId"]), datetime.fromisoformat(data["acceptedAt"]))


class RedisTokenVerdicts:
    """auth's verdicts on tokens, by digest, each kept no longer than the caller says (and never past exp)."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis

    async def get(self, token: str) -> bytes | None:
        try:
            value: bytes | None = await self.redis.get(f"gateway:token:{digest(token)}")  # type: ignore[assignment] # bytes: no decode_responses
        except RedisError as exc:
            log.warning("token cache unavailable: %s", exc)
            return None
        return value

    async def put(self, token: str, verdict: bytes, seconds: float) -> None:
        if seconds < 1:
            return
        try:
            await self.redis.set(f"gateway:token:{digest(token)}", verdict, ex=int(seconds))
        except RedisError as exc:
            log.warning("token cache unavailable: %s", exc)
