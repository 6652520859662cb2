"""User tokens: issued by the auth service, verified by the gateway (or any service) with auth's JWK Set.

A user token is RS256, signed with auth's user-token key (`auth-users-<year>-<month>`, not auth's own
service key, so that no service key can mint a user and no user token passes as a service token), with
`iss` = `auth`, `aud` = `a4co-marketplace`, `sub` = the user id (a UUID), `roles`, `jti` (a UUID), `iat`,
`nbf` and `exp` (contracts/openapi/components.yaml, `userToken`). The verifier answers a typed
`UserPrincipal` or `TokenRejected` with the contract's reason, which is exactly what
`POST /api/auth/validate-token` answers as `ValidToken` / `InvalidToken`.

Not done here: revocation of a `jti` before it expires (validate-token's description mentions it, but
`TokenInvalidReason` has no value for it yet), and refresh tokens.
"""

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from .keys import USER_TOKEN_KEY, KeyStore, PublicKeySource
from .tokens import AUDIENCE, DEFAULT_LEEWAY, Rs256Verifier, TokenFailure, TokenRejected, VerifiedToken, sign

__all__ = [
    "USER_TOKEN_ISSUER",
    "USER_TOKEN_LIFETIME",
    "UserPrincipal",
    "UserTokenIssuer",
    "UserTokenVerifier",
]

USER_TOKEN_ISSUER = "auth"  # noqa: S105 - the iss claim, not a secret
USER_TOKEN_LIFETIME = 900.0
"""Seconds (15 minutes): short, because a user token cannot be revoked yet."""


@dataclass(frozen=True, slots=True)
class UserPrincipal:
    """A user who called with a valid user token."""

    user_id: UUID
    roles: frozenset[str]
    token_id: UUID
    issuer: str
    expires_at: datetime

    def has_roles(self, roles: Iterable[str]) -> bool:
        return self.roles.issuperset(roles)


class UserTokenIssuer:
    """Signs user tokens with the user-token key; used by the auth service only."""

    def __init__(
        self,
        keys: KeyStore,
        *,
        issuer: str = USER_TOKEN_ISSUER,
        key_name: str = USER_TOKEN_KEY,
        lifetime: float = USER_TOKEN_LIFETIME,
        audience: str = AUDIENCE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.key_name = key_name
        self.lifetime = lifetime
        self.audience = audience
        self._clock = clock

    def issue(
        self,
        user_id: UUID,
        roles: Iterable[str],
        *,
        lifetime: float | None = None,
        not_before: float | None = None,
    ) -> str:
        """A token for `user_id` with `roles`, valid from `not_before` (default now) for `lifetime`."""
        now = int(self._clock())
        start = now if not_before is None else int(not_before)
        claims = {
            "iss": self.issuer,
            "sub": str(user_id),
            "aud": self.audience,
            "roles": sorted(set(roles)),
            "iat": now,
            "nbf": start,
            "exp": start + int(self.lifetime if lifetime is None else lifetime),
            "jti": str(uuid.uuid4()),
        }
        return sign(claims, self.keys.signing_key(self.key_name))


class UserTokenVerifier:
    """Verifies user tokens: RS256 only, signed by a user-token key, `iss` auth, `aud` the marketplace."""

    def __init__(
        self,
        keys: PublicKeySource,
        *,
        issuer: str = USER_TOKEN_ISSUER,
        key_owners: Iterable[str] = (USER_TOKEN_KEY,),
        audience: str = AUDIENCE,
        leeway: float = DEFAULT_LEEWAY,
        cache_size: int = 1024,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.key_owners = frozenset(key_owners)
        self._verifier = Rs256Verifier(
            keys,
            accepts=lambda key: key.owner in self.key_owners,
            issuer_for=lambda _key: issuer,
            audience=audience,
            leeway=leeway,
            required=("roles",),
            cache_size=cache_size,
        )

    def verify(self, token: str) -> UserPrincipal:
        """The user; raises `TokenRejected` with the contract's reason."""
        return self._principal(self._verifier.verify(token))

    async def averify(self, token: str) -> UserPrincipal:
        """`verify`, letting the key source refresh (a JWK Set fetched from auth)."""
        return self._principal(await self._verifier.averify(token))

    @staticmethod
    def _principal(verified: VerifiedToken) -> UserPrincipal:
        claims = verified.claims
        roles = claims["roles"]
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise TokenRejected(TokenFailure.MALFORMED, "roles must be a list of strings")
        try:
            user_id, token_id = UUID(claims["sub"]), UUID(claims["jti"])
        except (TypeError, ValueError):
            raise TokenRejected(TokenFailure.MALFORMED, "sub and jti must be UUIDs") from None
        return UserPrincipal(
            user_id=user_id,
            roles=frozenset(roles),
            token_id=token_id,
            issuer=claims["iss"],
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        )
