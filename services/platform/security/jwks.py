"""Public keys from a JWK Set (auth's `GET /.well-known/jwks.json`), cached like PyJWKClient does.

The set is kept in memory and fetched again when it is older than `max_age` (300 s, the endpoint's
`Cache-Control`), or when a token names a kid the set lacks (a rotation happened), at most once per
`min_interval` so that tokens with made-up kids cannot turn every request into a fetch. A failed fetch
keeps the keys already known: an unreachable auth service must not log everybody out.
"""

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from .keys import VerificationKey, key_owner, public_key_from_jwk

__all__ = ["JwksKeySource"]

logger = logging.getLogger(__name__)

JwksFetcher = Callable[[], Awaitable[Mapping[str, Any]]]


class JwksKeySource:
    """A `PublicKeySource` over a JWK Set, fetched by `fetch` (for example the generated AuthClient)."""

    def __init__(
        self,
        fetch: JwksFetcher | None = None,
        *,
        max_age: float = 300.0,
        min_interval: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self.max_age = max_age
        self.min_interval = min_interval
        self._clock = clock
        self._keys: dict[str, VerificationKey] = {}
        self._loaded_at: float | None = None
        self._attempted_at: float | None = None

    @classmethod
    def of(cls, jwks: Mapping[str, Any]) -> "JwksKeySource":
        """A fixed set (tests, or keys distributed with the configuration)."""
        source = cls()
        source.load(jwks)
        return source

    def load(self, jwks: Mapping[str, Any]) -> bool:
        """Replace the keys with those of `jwks`; keys that cannot verify RS256 are skipped (logged)."""
        members = jwks.get("keys")
        if not isinstance(members, list):
            raise TypeError("a JWK Set has a 'keys' array")
        keys: dict[str, VerificationKey] = {}
        for member in members:
            try:
                kid, public_key = public_key_from_jwk(member)
            except (TypeError, ValueError) as exc:
                logger.warning("ignoring a key of the JWK Set: %s", exc)
                continue
            owner = key_owner(kid)
            assert owner is not None  # public_key_from_jwk checked the kid
            keys[kid] = VerificationKey(kid, owner, public_key)
        changed = keys.keys() != self._keys.keys() or any(
            keys[k].public_key.public_numbers() != self._keys[k].public_key.public_numbers() for k in keys
        )
        self._keys = keys
        self._loaded_at = self._clock()
        return changed

    def verification_key(self, kid: str) -> VerificationKey | None:
        return self._keys.get(kid)

    async def refresh(self, *, missing: str | None = None) -> bool:
        if self._fetch is None:
            return False
        now = self._clock()
        stale = self._loaded_at is None or now - self._loaded_at >= self.max_age
        if missing is not None and missing in self._keys:
            return False
        if not stale and missing is None:
            return False
        if self._attempted_at is not None and now - self._attempted_at < self.min_interval:
            return False
        self._attempted_at = now
        try:
            jwks = await self._fetch()
            return self.load(jwks)
        except Exception as exc:  # noqa: BLE001 - any failure of the injected fetch keeps the old keys
            logger.warning("could not fetch the JWK Set, keeping %d known keys: %s", len(self._keys), exc)
            return False
