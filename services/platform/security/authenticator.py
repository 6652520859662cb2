"""The `Authenticator` the generated servers call for every secured operation.

It reads what the contract says about the operation: its security requirements (alternatives; in each,
a scheme and its scopes) and its `x-a4co-callers`. Semantics, as contracts/openapi/components.yaml
states them:

- no bearer token, or one that does not verify (expired, badly signed, wrong audience...), or a token of
  a kind the operation does not accept: **401** with `WWW-Authenticate` (RFC 6750);
- a valid token that is not allowed: **403**. A user token lacks a role the requirement lists
  (`userToken: [admin]`), or a service token's issuer is not among the operation's `x-a4co-callers`.
  An operation secured by `serviceToken` without `x-a4co-callers` admits no service: fail closed.

The token's kind is told by its `kid` (user tokens are signed by the user-token key), then the verifier
of that kind checks everything. One request carries one bearer token, so a requirement that combines
both schemes cannot be met; an empty requirement among the alternatives admits anonymous calls.
"""

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from starlette.requests import Request

from a4co_sdk._runtime.http_server import HttpProblem
from a4co_sdk._runtime.http_specs import EndpointSpec, SecurityRequirement

from .service_tokens import ServicePrincipal, ServiceTokenVerifier
from .tokens import AUDIENCE, TokenFailure, TokenRejected, unverified_key_owner
from .user_tokens import UserPrincipal, UserTokenVerifier

__all__ = [
    "CALLERS_EXTENSION",
    "DEFAULT_SCHEMES",
    "FORBIDDEN_TYPE",
    "UNAUTHORIZED_TYPE",
    "Principal",
    "RequestAuthenticator",
    "allowed_callers",
]

logger = logging.getLogger(__name__)

TokenKind = Literal["service", "user"]
Principal = ServicePrincipal | UserPrincipal

CALLERS_EXTENSION = "x-a4co-callers"
DEFAULT_SCHEMES: Mapping[str, TokenKind] = {"serviceToken": "service", "userToken": "user"}
"""The contract's security schemes (components.yaml) and the kind of token each stands for."""
UNAUTHORIZED_TYPE = "https://a4co.example/problems/unauthorized"
FORBIDDEN_TYPE = "https://a4co.example/problems/forbidden"

_QUOTED_UNSAFE = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")  # RFC 6750 error_description characters
_DESCRIBED = {
    TokenFailure.EXPIRED: "token expired",
    TokenFailure.NOT_YET_VALID: "token not yet valid",
    TokenFailure.BAD_SIGNATURE: "bad signature",
    TokenFailure.WRONG_AUDIENCE: "token issued for another audience",
    TokenFailure.WRONG_ISSUER: "token from an unexpected issuer",
    TokenFailure.ALGORITHM_NOT_ALLOWED: "algorithm not allowed",
    TokenFailure.MALFORMED: "malformed token",
    TokenFailure.UNKNOWN_KEY: "unknown signing key",
}


def allowed_callers(endpoint: EndpointSpec[Any]) -> frozenset[str] | None:
    """The services the contract lets call `endpoint` (`x-a4co-callers`); None when it says nothing."""
    callers = endpoint.extensions.get(CALLERS_EXTENSION)
    if not isinstance(callers, list | tuple):
        return None
    return frozenset(c for c in callers if isinstance(c, str))


class RequestAuthenticator:
    """Accepts service and/or user tokens as each operation's security requirements say."""

    def __init__(
        self,
        *,
        services: ServiceTokenVerifier | None = None,
        users: UserTokenVerifier | None = None,
        schemes: Mapping[str, TokenKind] = DEFAULT_SCHEMES,
        realm: str = AUDIENCE,
    ) -> None:
        """A service that receives no user tokens passes no `users` verifier, and the other way round."""
        # Whose keys sign user tokens, to tell the kinds apart even where only one kind is accepted.
        if users is not None:
            self._user_key_owners = users.key_owners
        elif services is not None:
            self._user_key_owners = services.user_key_owners
        else:
            raise ValueError("a RequestAuthenticator needs a service or a user token verifier")
        self.services = services
        self.users = users
        self.schemes = dict(schemes)
        self.realm = realm

    async def authenticate(
        self, request: Request, requirements: Sequence[SecurityRequirement], endpoint: EndpointSpec[Any]
    ) -> Principal | None:
        token = self._bearer(request)
        if token is None:
            if any(not requirement for requirement in requirements):
                return None
            raise self._unauthorized(None, "this operation needs a bearer token")
        accepted = {self.schemes.get(scheme) for requirement in requirements for scheme in requirement}
        kind = self._kind(token, accepted)
        if kind not in accepted:
            wanted = " or ".join(sorted(k for k in accepted if k)) or "no"
            raise self._unauthorized(TokenFailure.WRONG_AUDIENCE, f"this operation accepts {wanted} tokens")
        principal = await self._verify(kind, token)
        refusals = []
        for requirement in requirements:
            if kind not in {self.schemes.get(scheme) for scheme in requirement}:
                continue  # anonymous, or an alternative for the other kind of token
            refusal = self._refusal(requirement, principal, kind, endpoint)
            if refusal is None:
                return principal
            refusals.append(refusal)
        raise HttpProblem(
            403, detail="; or ".join(dict.fromkeys(refusals)) or "not allowed", type=FORBIDDEN_TYPE
        )

    def _bearer(self, request: Request) -> str | None:
        header = request.headers.get("authorization")
        if header is None:
            return None
        scheme, _, credentials = header.partition(" ")
        token = credentials.strip(" ")  # RFC 6750: "Bearer" 1*SP b64token
        if scheme.lower() != "bearer" or not token or len(token.split()) != 1:
            raise self._unauthorized(
                TokenFailure.MALFORMED,
                "the Authorization header is not a Bearer token",
                error="invalid_request",
            )
        return token  # its characters are checked when it is parsed

    def _kind(self, token: str, accepted: set[TokenKind | None]) -> TokenKind:
        """The kind of `token`, by the owner of its kid; the operation's kind when the header says nothing."""
        owner = unverified_key_owner(token)
        if owner is not None:
            return "user" if owner in self._user_key_owners else "service"
        return "service" if "service" in accepted else "user"  # its verifier will call it malformed

    async def _verify(self, kind: TokenKind, token: str) -> Principal:
        verifier = self.services if kind == "service" else self.users
        if verifier is None:
            logger.warning("an operation accepts %s tokens, but no verifier for them was configured", kind)
            raise self._unauthorized(TokenFailure.WRONG_AUDIENCE, f"{kind} tokens are not accepted here")
        try:
            return await verifier.averify(token)
        except TokenRejected as exc:
            logger.info("refused a %s token: %s", kind, exc)
            raise self._unauthorized(exc.reason, _DESCRIBED[exc.reason]) from None

    def _refusal(
        self,
        requirement: SecurityRequirement,
        principal: Principal,
        kind: TokenKind,
        endpoint: EndpointSpec[Any],
    ) -> str | None:
        """Why `principal` does not meet `requirement` (None: it does)."""
        for scheme, scopes in requirement.items():
            if self.schemes.get(scheme) != kind:
                return f"needs a {scheme} as well"
            if isinstance(principal, UserPrincipal):
                missing = sorted(set(scopes) - principal.roles)
                if missing:
                    return "needs the role " + " and ".join(missing)
            else:
                callers = allowed_callers(endpoint)
                if callers is None or principal.service not in callers:
                    listed = ", ".join(sorted(callers)) if callers else "none"
                    return f"service {principal.service!r} may not call {endpoint.id} (callers: {listed})"
                missing = sorted(set(scopes) - set(principal.permissions))
                if missing:
                    return "needs the permission " + " and ".join(missing)
        return None

    def _unauthorized(
        self, reason: TokenFailure | None, detail: str, *, error: str = "invalid_token"
    ) -> HttpProblem:
        """401 with an RFC 6750 challenge; it names the error only when a token (or header) was sent."""
        challenge = f'Bearer realm="{self.realm}"'
        if reason is not None:
            description = _QUOTED_UNSAFE.sub("", detail)
            challenge += f', error="{error}", error_description="{description}"'
        return HttpProblem(
            401, detail=detail, type=UNAUTHORIZED_TYPE, headers={"WWW-Authenticate": challenge}
        )
