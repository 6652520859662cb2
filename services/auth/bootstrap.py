"""Composition root of the auth service: the user-token key, its verifier and the HTTP API.

auth has no database and subscribes to nothing. Its readiness is its key: without the user-token key it
can neither publish the JWK Set nor validate anything. NATS and Redis are not among its checks, because
auth does not use them; an outage of either must not take token validation (and with it every signed-in
request of the gateway) down.
"""

import asyncio

from a4co_sdk._runtime.http_server import HttpResponse
from a4co_sdk.models import auth
from a4co_sdk.servers.auth import AuthApi, app
from services.auth.application import tokens
from services.platform.kit import Kit
from services.platform.probes import Probes
from services.platform.runner import Runtime, Service
from services.platform.security import USER_TOKEN_KEY, KeyStore, UserTokenVerifier

JWKS_MAX_AGE = 300
"""Seconds a JWK Set may be cached: the `max_age` of the platform's `JwksKeySource`."""


class Api(Probes, AuthApi):
    def __init__(self, kit: Kit, verifier: UserTokenVerifier) -> None:
        self.service_name = kit.name
        self.metrics = kit.runtime.metrics
        self.keys = kit.keys
        self.verifier = verifier
        self.readiness_checks = {"keys": self._key_readable}

    async def validate_token(
        self, *, x_request_id: str | None, body: auth.ValidateTokenRequest
    ) -> auth.TokenValidation:
        return await tokens.validate_token(body.token, self.verifier)

    async def get_jwks(self) -> HttpResponse:
        return HttpResponse(
            tokens.signing_keys(self.keys), headers={"Cache-Control": f"public, max-age={JWKS_MAX_AGE}"}
        )

    async def _key_readable(self) -> bool:
        await asyncio.to_thread(self.keys.signing_key, USER_TOKEN_KEY)
        return True


def user_tokens(keys: KeyStore) -> UserTokenVerifier:
    """The verifier of user tokens; creating the user-token key first, so the JWK Set is never empty."""
    keys.signing_key(USER_TOKEN_KEY)
    return UserTokenVerifier(keys)


async def build(runtime: Runtime) -> Service:
    kit = await Kit.open(runtime, database=False)
    return kit.service(kit.http(app, Api(kit, user_tokens(kit.keys))), [])
