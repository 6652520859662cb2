"""RequestAuthenticator behind the generated servers: 401 versus 403, x-a4co-callers, roles, anonymous."""

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.requests import Request

from a4co_sdk import ApiError
from a4co_sdk._runtime.http_server import HttpProblem, current_request
from a4co_sdk._runtime.http_specs import EndpointSpec, SecurityRequirement
from a4co_sdk.clients.auth import AuthClient
from a4co_sdk.endpoints import auth as auth_endpoints
from a4co_sdk.endpoints import gateway as gateway_endpoints
from a4co_sdk.models import auth, platform
from a4co_sdk.servers.auth import AuthApi, app
from services.platform.security import (
    USER_TOKEN_KEY,
    JwksKeySource,
    KeyStore,
    RequestAuthenticator,
    ServicePrincipal,
    ServiceTokenIssuer,
    ServiceTokenVerifier,
    TokenRejected,
    UserPrincipal,
    UserTokenIssuer,
    UserTokenVerifier,
    allowed_callers,
)


class Auth(AuthApi):
    """Just enough of the auth service to put the authenticator behind a generated server."""

    def __init__(self, keys: KeyStore) -> None:
        self.keys = keys
        self.users = UserTokenVerifier(keys)
        self.principals: list[Any] = []

    async def validate_token(self, *, x_request_id: str | None, body: auth.ValidateTokenRequest) -> Any:
        self.principals.append(current_request().principal)
        try:
            user = await self.users.averify(body.token)
        except TokenRejected as exc:
            return auth.TokenValidation(
                auth.InvalidToken(
                    valid=False, reason=auth.TokenInvalidReason(exc.reason), detail=exc.detail[:500]
                )
            )
        return auth.TokenValidation(
            auth.ValidToken(
                valid=True,
                userId=user.user_id,
                roles=sorted(user.roles),
                issuer=user.issuer,
                tokenId=user.token_id,
                expiresAt=user.expires_at,
            )
        )

    async def get_jwks(self) -> auth.JsonWebKeySet:
        return auth.JsonWebKeySet.model_validate(self.keys.jwks([USER_TOKEN_KEY]))

    async def get_health(self) -> platform.Health:
        return platform.Health(status="ok", service="auth", version="test")

    async def get_readiness(self) -> platform.Readiness:
        return platform.Readiness(status=platform.ReadinessStatus.READY, checks=platform.ReadinessChecks({}))

    async def get_metrics(self) -> str:
        return ""


@pytest.fixture
def auth_service(keystore: KeyStore) -> Auth:
    return Auth(keystore)


@pytest.fixture
async def http(auth_service: Auth, keystore: KeyStore) -> AsyncIterator[httpx.AsyncClient]:
    authenticator = RequestAuthenticator(services=ServiceTokenVerifier("auth", keystore))
    application = app(auth_service, authenticator=authenticator)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application), base_url="http://auth"
    ) as client:
        yield client


def _client(http: httpx.AsyncClient, keystore: KeyStore, caller: str | None) -> AuthClient:
    token = ServiceTokenIssuer(caller, keystore).provider("auth") if caller else None
    return AuthClient("http://auth", http=http, token=token)


async def test_the_gateway_may_validate_tokens(
    http: httpx.AsyncClient, keystore: KeyStore, auth_service: Auth
) -> None:
    user = uuid.uuid4()
    token = UserTokenIssuer(keystore).issue(user, ["customer"])

    answer = await _client(http, keystore, "gateway").validate_token(
        body=auth.ValidateTokenRequest(token=token)
    )

    assert isinstance(answer.root, auth.ValidToken)
    assert answer.root.user_id == user
    principal = auth_service.principals[-1]
    assert isinstance(principal, ServicePrincipal)
    assert principal.service == "gateway"


async def test_validate_token_answers_the_reason(http: httpx.AsyncClient, keystore: KeyStore) -> None:
    expired = UserTokenIssuer(keystore, clock=lambda: time.time() - 3600).issue(uuid.uuid4(), ["customer"])
    client = _client(http, keystore, "gateway")

    answer = await client.validate_token(body=auth.ValidateTokenRequest(token=expired))
    assert isinstance(answer.root, auth.InvalidToken)
    assert answer.root.reason is auth.TokenInvalidReason.EXPIRED
    garbage = await client.validate_token(body=auth.ValidateTokenRequest(token="garbage"))
    assert isinstance(garbage.root, auth.InvalidToken)
    assert garbage.root.reason is auth.TokenInvalidReason.MALFORMED


async def test_a_caller_not_in_x_a4co_callers_gets_403(http: httpx.AsyncClient, keystore: KeyStore) -> None:
    with pytest.raises(ApiError) as refused:
        await _client(http, keystore, "order").validate_token(body=auth.ValidateTokenRequest(token="x"))
    assert refused.value.status == 403
    assert refused.value.problem["type"] == "https://a4co.example/problems/forbidden"
    assert "service 'order' may not call validateToken (callers: gateway)" in refused.value.problem["detail"]


async def test_no_token_gets_401_with_a_challenge(http: httpx.AsyncClient, keystore: KeyStore) -> None:
    with pytest.raises(ApiError) as refused:
        await _client(http, keystore, None).validate_token(body=auth.ValidateTokenRequest(token="x"))
    assert refused.value.status == 401
    assert refused.value.headers["www-authenticate"] == 'Bearer realm="a4co-marketplace"'
    assert refused.value.problem["type"] == "https://a4co.example/problems/unauthorized"


async def test_a_bad_token_gets_401_naming_the_error(http: httpx.AsyncClient, keystore: KeyStore) -> None:
    for_order = ServiceTokenIssuer("gateway", keystore).issue("order")
    response = await http.post(
        "/api/auth/validate-token", json={"token": "x"}, headers={"Authorization": f"Bearer {for_order}"}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        'Bearer realm="a4co-marketplace", error="invalid_token", '
        'error_description="token issued for another audience"'
    )

    expired = ServiceTokenIssuer("gateway", keystore, clock=lambda: time.time() - 600).issue("auth")
    response = await http.post(
        "/api/auth/validate-token", json={"token": "x"}, headers={"Authorization": f"Bearer {expired}"}
    )
    assert response.status_code == 401
    assert 'error_description="token expired"' in response.headers["www-authenticate"]


async def test_a_user_token_is_no_service_token(http: httpx.AsyncClient, keystore: KeyStore) -> None:
    admin = UserTokenIssuer(keystore).issue(uuid.uuid4(), ["admin"])
    response = await http.post(
        "/api/auth/validate-token", json={"token": "x"}, headers={"Authorization": f"Bearer {admin}"}
    )
    assert response.status_code == 401
    assert "this operation accepts service tokens" in response.json()["detail"]


async def test_public_operations_need_no_token(http: httpx.AsyncClient, keystore: KeyStore) -> None:
    jwks = await _client(http, keystore, None).get_jwks()
    assert [key.kid for key in jwks.keys] == ["auth-users-2026-11"]


async def test_the_gateway_verifies_user_tokens_with_auths_jwks(
    http: httpx.AsyncClient, keystore: KeyStore
) -> None:
    client = _client(http, keystore, None)

    async def fetch() -> dict[str, Any]:
        return (await client.get_jwks()).model_dump(mode="json")

    gateway = RequestAuthenticator(users=UserTokenVerifier(JwksKeySource(fetch)))
    token = UserTokenIssuer(keystore).issue(uuid.uuid4(), ["admin"])
    principal = await gateway.authenticate(
        _request(token),
        gateway_endpoints.GATEWAY_GET_REAL_TIME_ANALYTICS.security,
        gateway_endpoints.GATEWAY_GET_REAL_TIME_ANALYTICS,
    )
    assert isinstance(principal, UserPrincipal)
    assert principal.roles == {"admin"}


# -- the authenticator alone, on the contract's gateway operations ------------------------------------


def _request(token: str | None, scheme: str = "Bearer") -> Request:
    headers = [] if token is None else [(b"authorization", f"{scheme} {token}".encode())]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers, "query_string": b""})


@pytest.fixture
def gateway(keystore: KeyStore) -> RequestAuthenticator:
    return RequestAuthenticator(users=UserTokenVerifier(keystore))


@pytest.fixture
def users(keystore: KeyStore) -> UserTokenIssuer:
    return UserTokenIssuer(keystore)


async def _status(
    authenticator: RequestAuthenticator,
    token: str | None,
    endpoint: EndpointSpec[Any],
    security: tuple[SecurityRequirement, ...] | None = None,
) -> tuple[int, HttpProblem | None]:
    try:
        await authenticator.authenticate(_request(token), security or endpoint.security, endpoint)
    except HttpProblem as problem:
        return problem.status, problem
    return 200, None


async def test_a_missing_role_is_403(gateway: RequestAuthenticator, users: UserTokenIssuer) -> None:
    analytics = gateway_endpoints.GATEWAY_GET_REAL_TIME_ANALYTICS  # userToken: [admin]
    status, problem = await _status(gateway, users.issue(uuid.uuid4(), ["customer"]), analytics)
    assert status == 403
    assert problem is not None
    assert problem.detail == "needs the role admin"
    assert (await _status(gateway, users.issue(uuid.uuid4(), ["admin"]), analytics))[0] == 200


async def test_alternatives_any_of_which_suffices(
    gateway: RequestAuthenticator, users: UserTokenIssuer
) -> None:
    get_order = gateway_endpoints.GATEWAY_GET_ORDER  # userToken: [customer] or userToken: [admin]
    assert (await _status(gateway, users.issue(uuid.uuid4(), ["customer"]), get_order))[0] == 200
    assert (await _status(gateway, users.issue(uuid.uuid4(), ["admin"]), get_order))[0] == 200
    status, problem = await _status(gateway, users.issue(uuid.uuid4(), ["artisan"]), get_order)
    assert status == 403
    assert problem is not None
    assert problem.detail == "needs the role customer; or needs the role admin"


async def test_no_role_needed(
    gateway: RequestAuthenticator, users: UserTokenIssuer, keystore: KeyStore
) -> None:
    profile = gateway_endpoints.GATEWAY_GET_PAYMENT_PROFILE  # userToken: []
    principal = await gateway.authenticate(_request(users.issue(uuid.uuid4(), [])), profile.security, profile)
    assert isinstance(principal, UserPrincipal)
    status, problem = await _status(gateway, None, profile)
    assert (status, problem and problem.headers) == (
        401,
        {"WWW-Authenticate": 'Bearer realm="a4co-marketplace"'},
    )
    service_token = ServiceTokenIssuer("order", keystore).issue("gateway")
    assert (await _status(gateway, service_token, profile))[0] == 401


async def test_a_header_that_is_not_bearer(gateway: RequestAuthenticator, users: UserTokenIssuer) -> None:
    token = users.issue(uuid.uuid4(), ["admin"])
    profile = gateway_endpoints.GATEWAY_GET_PAYMENT_PROFILE
    for scheme in ("Basic", "Token", "Bearer  x"):
        with pytest.raises(HttpProblem) as refused:
            await gateway.authenticate(_request(token, scheme), profile.security, profile)
        assert refused.value.status == 401
        assert 'error="invalid_request"' in refused.value.headers["WWW-Authenticate"]
    assert (await gateway.authenticate(_request(token, "bearer"), profile.security, profile)) is not None


def _endpoint(security: tuple[SecurityRequirement, ...], **extensions: Any) -> EndpointSpec[Any]:
    return EndpointSpec(
        id="op", method="GET", path="/op", python_name="op", security=security, extensions=extensions
    )


async def test_an_empty_alternative_admits_anonymous_calls(keystore: KeyStore) -> None:
    authenticator = RequestAuthenticator(services=ServiceTokenVerifier("order", keystore))
    endpoint = _endpoint(({"serviceToken": ()}, {}), **{"x-a4co-callers": ["gateway"]})
    assert await authenticator.authenticate(_request(None), endpoint.security, endpoint) is None
    token = ServiceTokenIssuer("gateway", keystore).issue("order")
    assert isinstance(
        await authenticator.authenticate(_request(token), endpoint.security, endpoint), ServicePrincipal
    )
    assert (await _status(authenticator, "garbage", endpoint))[0] == 401  # a bad token is not anonymous


async def test_no_callers_listed_admits_no_service(keystore: KeyStore) -> None:
    authenticator = RequestAuthenticator(services=ServiceTokenVerifier("order", keystore))
    endpoint = _endpoint(({"serviceToken": ()},))
    assert allowed_callers(endpoint) is None
    status, problem = await _status(
        authenticator, ServiceTokenIssuer("gateway", keystore).issue("order"), endpoint
    )
    assert status == 403
    assert problem is not None
    assert "callers: none" in (problem.detail or "")


async def test_service_scopes_are_permissions(keystore: KeyStore) -> None:
    authenticator = RequestAuthenticator(services=ServiceTokenVerifier("order", keystore))
    endpoint = _endpoint(({"serviceToken": ("orders:read",)},), **{"x-a4co-callers": ["gateway"]})
    plain = ServiceTokenIssuer("gateway", keystore).issue("order")
    allowed = ServiceTokenIssuer("gateway", keystore, permissions=lambda _: ["orders:read"]).issue("order")
    assert (await _status(authenticator, plain, endpoint))[0] == 403
    assert (await _status(authenticator, allowed, endpoint))[0] == 200


async def test_one_token_cannot_meet_a_requirement_of_both_schemes(keystore: KeyStore) -> None:
    authenticator = RequestAuthenticator(
        services=ServiceTokenVerifier("order", keystore), users=UserTokenVerifier(keystore)
    )
    endpoint = _endpoint(({"serviceToken": (), "userToken": ()},), **{"x-a4co-callers": ["gateway"]})
    status, problem = await _status(
        authenticator, ServiceTokenIssuer("gateway", keystore).issue("order"), endpoint
    )
    assert status == 403
    assert problem is not None
    assert problem.detail == "needs a userToken as well"


async def test_a_service_accepting_both_kinds_tells_them_apart(keystore: KeyStore) -> None:
    authenticator = RequestAuthenticator(
        services=ServiceTokenVerifier("order", keystore), users=UserTokenVerifier(keystore)
    )
    endpoint = _endpoint(({"serviceToken": ()}, {"userToken": ("admin",)}), **{"x-a4co-callers": ["gateway"]})
    admin = UserTokenIssuer(keystore).issue(uuid.uuid4(), ["admin"])
    service = ServiceTokenIssuer("gateway", keystore).issue("order")
    assert isinstance(
        await authenticator.authenticate(_request(admin), endpoint.security, endpoint), UserPrincipal
    )
    assert isinstance(
        await authenticator.authenticate(_request(service), endpoint.security, endpoint), ServicePrincipal
    )
    customer = UserTokenIssuer(keystore).issue(uuid.uuid4(), ["customer"])
    status, problem = await _status(authenticator, customer, endpoint)
    assert status == 403
    assert problem is not None
    assert problem.detail == "needs the role admin"  # the service alternative is not the user's concern


def test_callers_come_from_the_contract() -> None:
    assert allowed_callers(auth_endpoints.VALIDATE_TOKEN) == {"gateway"}


def test_an_authenticator_needs_a_verifier() -> None:
    with pytest.raises(ValueError, match="needs a service or a user token verifier"):
        RequestAuthenticator()
