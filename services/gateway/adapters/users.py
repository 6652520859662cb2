"""Who is calling: user tokens validated by the auth service, remembered in Redis, checked per operation.

The gateway does not verify user tokens itself: it asks auth (`POST /api/auth/validate-token`, design
document: < 50 ms) with its own service token, and remembers the verdict in Redis under the token's
SHA-256 until the token expires, at most `max_age` seconds, so a session costs auth one call every few
minutes whichever gateway instance serves it. Refusals are remembered briefly too, so a client
repeating a bad token does not turn every request into a call to auth (except `not_yet_valid` and
`unknown_key`, which a little time or a key rotation can change).

A request's identity is worked out once, before routing (the rate limiter needs it), and kept in the
ASGI scope for the authenticator and the handlers: the principal, or why the token sent was not
accepted, and the client's address.
"""

import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any, Protocol

from pydantic import ValidationError
from starlette.requests import Request
from starlette.types import Scope

from a4co_sdk._runtime.http_specs import EndpointSpec, SecurityRequirement
from a4co_sdk.models import auth
from services.gateway.adapters.problems import problem
from services.gateway.domain.errors import Forbidden, GatewayError, Unauthenticated
from services.platform.security import AUDIENCE, UserPrincipal

__all__ = ["GatewayAuthenticator", "Identities", "Identity", "TokenVerdicts", "UserTokens", "bearer_token"]

log = logging.getLogger(__name__)

IDENTITY = "a4co.gateway.identity"
MAX_TOKEN_LENGTH = 8192
USER_SCHEME = "userToken"
_QUOTED_UNSAFE = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")
_DESCRIBED = {
    auth.TokenInvalidReason.EXPIRED: "token expired",
    auth.TokenInvalidReason.NOT_YET_VALID: "token not yet valid",
    auth.TokenInvalidReason.BAD_SIGNATURE: "bad signature",
    auth.TokenInvalidReason.WRONG_AUDIENCE: "token issued for another audience",
    auth.TokenInvalidReason.WRONG_ISSUER: "token from an unexpected issuer",
    auth.TokenInvalidReason.ALGORITHM_NOT_ALLOWED: "algorithm not allowed",
    auth.TokenInvalidReason.MALFORMED: "malformed token",
    auth.TokenInvalidReason.UNKNOWN_KEY: "unknown signing key",
}
_CHANGEABLE = {auth.TokenInvalidReason.NOT_YET_VALID, auth.TokenInvalidReason.UNKNOWN_KEY}


def challenge(description: str | None = None, *, error: str = "invalid_token") -> dict[str, str]:
    """The RFC 6750 `WWW-Authenticate` header; it names the error only when a token was sent."""
    value = f'Bearer realm="{AUDIENCE}"'
    if description is not None:
        value += f', error="{error}", error_description="{_QUOTED_UNSAFE.sub("", description)}"'
    return {"WWW-Authenticate": value}


def _refused(reason: auth.TokenInvalidReason) -> Unauthenticated:
    described = _DESCRIBED[reason]
    return Unauthenticated(f"The bearer token was not accepted: {described}.", headers=challenge(described))


def bearer_token(request: Request) -> str | None:
    """The bearer token of the request; None without `Authorization`; 401 for another scheme or shape."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, credentials = header.partition(" ")
    token = credentials.strip(" ")
    if scheme.lower() != "bearer" or not token or len(token.split()) != 1:
        raise Unauthenticated(
            "The Authorization header is not a Bearer token.",
            headers=challenge("the Authorization header is not a Bearer token", error="invalid_request"),
        )
    return token


class TokenVerdicts(Protocol):
    """Where verdicts are remembered (Redis in the service, a dict in tests)."""

    async def get(self, token: str) -> bytes | None: ...

    async def put(self, token: str, verdict: bytes, seconds: float) -> None: ...


Validate = Callable[[str], Awaitable[auth.TokenValidation]]


class UserTokens:
    """User tokens checked by auth (`validate`), verdicts remembered in `verdicts`."""

    def __init__(
        self,
        validate: Validate,
        verdicts: TokenVerdicts,
        *,
        max_age: float = 300.0,
        refusal_age: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._validate = validate
        self.verdicts = verdicts
        self.max_age = max_age
        self.refusal_age = refusal_age
        self._clock = clock

    async def principal(self, token: str) -> UserPrincipal:
        """The user of a valid token; raises `Unauthenticated`, or `Unavailable`/`TimedOut` when auth is."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise _refused(auth.TokenInvalidReason.MALFORMED)
        verdict = await self._remembered(token)
        if verdict is None:
            verdict = await self._validate(token)
            await self._remember(token, verdict)
        result = verdict.root
        if isinstance(result, auth.InvalidToken):
            raise _refused(result.reason)
        if result.expires_at.timestamp() <= self._clock():
            raise _refused(auth.TokenInvalidReason.EXPIRED)
        return UserPrincipal(
            user_id=result.user_id,
            roles=frozenset(role.value for role in result.roles),
            token_id=result.token_id,
            issuer=result.issuer,
            expires_at=result.expires_at.astimezone(UTC),
        )

    async def _remembered(self, token: str) -> auth.TokenValidation | None:
        raw = await self.verdicts.get(token)
        if raw is None:
            return None
        try:
            return auth.TokenValidation.model_validate_json(raw)
        except ValidationError:
            return None  # written by another version: ask auth again

    async def _remember(self, token: str, verdict: auth.TokenValidation) -> None:
        result = verdict.root
        if isinstance(result, auth.ValidToken):
            seconds = min(self.max_age, result.expires_at.timestamp() - self._clock())
        elif result.reason in _CHANGEABLE:
            return
        else:
            seconds = self.refusal_age
        await self.verdicts.put(
            token, verdict.model_dump_json(by_alias=True, exclude_none=True).encode(), seconds
        )


@dataclass(frozen=True, slots=True)
class Identity:
    """Who sent a request: the user of its token, or why its token was not accepted, and its address."""

    principal: UserPrincipal | None
    refusal: GatewayError | None
    address: str

    @property
    def client(self) -> tuple[str, str]:
        """The rate limiter's client: the user when signed in, else the address."""
        if self.principal is not None:
            return "user", str(self.principal.user_id)
        return "address", self.address


class Identities:
    """Works out a request's identity once and keeps it in the scope."""

    def __init__(self, tokens: UserTokens) -> None:
        self.tokens = tokens

    async def of(self, scope: Scope) -> Identity:
        known: Identity | None = scope.get(IDENTITY)
        if known is not None:
            return known
        client = scope.get("client")
        address = client[0] if client else "unknown"
        principal, refusal = None, None
        try:
            token = bearer_token(Request(scope))
            if token is not None:
                principal = await self.tokens.principal(token)
        except GatewayError as error:
            refusal = error
        identity = Identity(principal, refusal, address)
        scope[IDENTITY] = identity
        return identity


class GatewayAuthenticator:
    """The generated server's `Authenticator`: every secured operation of the gateway takes user tokens.

    401 without a token or with one auth refused (`WWW-Authenticate`), 503/504 when auth could not be
    asked, 403 when no requirement's roles are all held (`userToken: [admin]`).
    """

    def __init__(self, identities: Identities) -> None:
        self.identities = identities

    async def authenticate(
        self, request: Request, requirements: Sequence[SecurityRequirement], endpoint: EndpointSpec[Any]
    ) -> UserPrincipal | None:
        identity = await self.identities.of(request.scope)
        if identity.refusal is not None:
            raise problem(identity.refusal)
        user = identity.principal
        if user is None:
            if any(not requirement for requirement in requirements):
                return None
            raise problem(Unauthenticated("This operation needs a bearer token.", headers=challenge()))
        refusals = []
        for requirement in requirements:
            if set(requirement) - {USER_SCHEME}:
                refusals.append(f"needs a {' and '.join(sorted(set(requirement) - {USER_SCHEME}))}")
                continue
            missing = sorted(set(requirement.get(USER_SCHEME, ())) - user.roles)
            if not missing:
                return user
            refusals.append("the role " + " and ".join(missing))
        log.info("refused user %s on %s: %s", user.user_id, endpoint.id, refusals)
        raise problem(Forbidden(f"This operation needs {' or '.join(dict.fromkeys(refusals))}."))
