"""Service-to-service tokens (design document, "Service-to-Service Authentication").

A caller signs, with its own key, a token naming itself (`iss`), the service it calls (`sub`), the
marketplace (`aud`), a lifetime of five minutes (`iat`, `nbf`, `exp`), an id (`jti`) and the permissions
it claims. The callee verifies it with the caller's public key, requires `sub` to be itself (a token
stolen from one callee cannot be replayed against another), and then checks the operation's
`x-a4co-callers` (`RequestAuthenticator`).

Signing costs about a millisecond of RSA, so the issuer keeps one token per target and signs a new one
only when the cached one has less than `refresh_before` left. The `jti` is therefore not single-use:
it identifies a token in logs and would let a receiver revoke one, but replay protection rests on the
short lifetime, the `sub` binding and TLS, not on a replay store (which would refuse the reused token).
"""

import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from .keys import USER_TOKEN_KEY, KeyStore, PublicKeySource, VerificationKey, key_owner
from .tokens import AUDIENCE, DEFAULT_LEEWAY, Rs256Verifier, TokenFailure, TokenRejected, VerifiedToken, sign

__all__ = [
    "SERVICE_TOKEN_LIFETIME",
    "ServicePrincipal",
    "ServiceTokenIssuer",
    "ServiceTokenVerifier",
]

SERVICE_TOKEN_LIFETIME = 300.0
"""Seconds: the design document's `expiresIn = '5m'`."""


@dataclass(frozen=True, slots=True)
class ServicePrincipal:
    """A service that called with a valid service token."""

    service: str
    """Who called: the token's `iss`, the owner of the key that signed it."""
    target: str
    token_id: str
    permissions: tuple[str, ...]
    expires_at: datetime


class ServiceTokenIssuer:
    """Signs `service`'s tokens for the services it calls, one cached token per target."""

    def __init__(
        self,
        service: str,
        keys: KeyStore,
        *,
        permissions: Callable[[str], Iterable[str]] | None = None,
        lifetime: float = SERVICE_TOKEN_LIFETIME,
        refresh_before: float = 60.0,
        audience: str = AUDIENCE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`permissions(target)` gives the `permissions` claim of tokens for `target` (default none)."""
        if service == USER_TOKEN_KEY or key_owner(f"{service}-2000-01") != service:
            raise ValueError(f"{service!r} is not a service name (lowercase words joined by '-')")
        if not 0 <= refresh_before < lifetime:
            raise ValueError("refresh_before must be shorter than the lifetime")
        self.service = service
        self.keys = keys
        self.permissions = permissions
        self.lifetime = lifetime
        self.refresh_before = refresh_before
        self.audience = audience
        self._clock = clock
        self._cached: dict[str, tuple[str, float]] = {}
        self.issued = 0
        """How many tokens this issuer signed (the cache should keep it small)."""

    def issue(self, target: str) -> str:
        """A new token for calling `target`."""
        now = int(self._clock())
        claims = {
            "iss": self.service,
            "sub": target,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + int(self.lifetime),
            "jti": str(uuid.uuid4()),
            "permissions": sorted(self.permissions(target)) if self.permissions else [],
        }
        token = sign(claims, self.keys.signing_key(self.service))
        self.issued += 1
        return token

    def token_for(self, target: str) -> str:
        """The cached token for `target`, or a new one when it has less than `refresh_before` left."""
        cached = self._cached.get(target)
        if cached is not None and self._clock() < cached[1] - self.refresh_before:
            return cached[0]
        expires = self._clock() + self.lifetime
        token = self.issue(target)
        self._cached[target] = (token, expires)
        return token

    def provider(self, target: str) -> Callable[[], Awaitable[str | None]]:
        """A bearer-token provider for the generated clients.

        `OrderClient(url, token=issuer.provider("order"))` sends this service's token for order.
        """

        async def token() -> str | None:
            return self.token_for(target)

        return token


class ServiceTokenVerifier:
    """Verifies the service tokens sent to `service`; keys come from a KeyStore or a JWK Set."""

    def __init__(
        self,
        service: str,
        keys: PublicKeySource,
        *,
        audience: str = AUDIENCE,
        leeway: float = DEFAULT_LEEWAY,
        user_key_owners: Iterable[str] = (USER_TOKEN_KEY,),
        cache_size: int = 1024,
    ) -> None:
        """`user_key_owners` sign user tokens, never service tokens: their keys are refused here."""
        self.service = service
        self.keys = keys
        self.user_key_owners = frozenset(user_key_owners)
        self._verifier = Rs256Verifier(
            keys,
            accepts=lambda key: key.owner not in self.user_key_owners,
            issuer_for=_owner,
            audience=audience,
            leeway=leeway,
            cache_size=cache_size,
        )

    def verify(self, token: str) -> ServicePrincipal:
        """The calling service; raises `TokenRejected`."""
        return self._principal(self._verifier.verify(token))

    async def averify(self, token: str) -> ServicePrincipal:
        """`verify`, letting the key source refresh (needed for JWK Sets fetched over HTTP)."""
        return self._principal(await self._verifier.averify(token))

    def _principal(self, verified: VerifiedToken) -> ServicePrincipal:
        claims = verified.claims
        if claims["sub"] != self.service:
            raise TokenRejected(
                TokenFailure.WRONG_AUDIENCE,
                f"the token is for {claims['sub']!r}, not {self.service!r}",
                kid=verified.key.kid,
            )
        permissions = claims.get("permissions", [])
        if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
            raise TokenRejected(TokenFailure.MALFORMED, "permissions must be a list of strings")
        return ServicePrincipal(
            service=claims["iss"],
            target=claims["sub"],
            token_id=claims["jti"],
            permissions=tuple(permissions),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        )


def _owner(key: VerificationKey) -> str:
    return key.owner
