"""Who is calling: auth's verdicts remembered until exp, and the 401/403 of each operation."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from starlette.requests import Request

from a4co_sdk._runtime.http_server import HttpProblem
from a4co_sdk.endpoints import gateway as endpoints
from a4co_sdk.models import auth
from services.gateway.adapters.users import GatewayAuthenticator, Identities, UserTokens
from services.gateway.domain.errors import Unauthenticated, Unavailable

NOW = 1_795_000_000.0


class Verdicts:
    """The Redis cache, as a dict that records how long each verdict is kept."""

    def __init__(self) -> None:
        self.kept: dict[str, tuple[bytes, float]] = {}

    async def get(self, token: str) -> bytes | None:
        kept = self.kept.get(token)
        return kept[0] if kept else None

    async def put(self, token: str, verdict: bytes, seconds: float) -> None:
        self.kept[token] = (verdict, seconds)


class Auth:
    """auth's validate-token: answers what the test put in `answers`, counting calls."""

    def __init__(self) -> None:
        self.answers: dict[str, auth.TokenValidation] = {}
        self.calls = 0
        self.down = False

    async def __call__(self, token: str) -> auth.TokenValidation:
        self.calls += 1
        if self.down:
            raise Unavailable("The auth service cannot be reached; retry in 1 second.", retry_after=1)
        return self.answers[token]

    def valid(self, token: str, *roles: str, user: UUID | None = None, expires_in: float = 900) -> UUID:
        user = user or uuid4()
        self.answers[token] = auth.TokenValidation(
            auth.ValidToken(
                valid=True,
                user_id=user,
                roles=[auth.UserRole(r) for r in roles or ("customer",)],
                issuer="auth",
                token_id=uuid4(),
                expires_at=datetime.fromtimestamp(NOW + expires_in, UTC),
            )
        )
        return user

    def invalid(self, token: str, reason: str) -> None:
        self.answers[token] = auth.TokenValidation(
            auth.InvalidToken(valid=False, reason=auth.TokenInvalidReason(reason))
        )


@pytest.fixture
def auth_service() -> Auth:
    return Auth()


@pytest.fixture
def verdicts() -> Verdicts:
    return Verdicts()


@pytest.fixture
def tokens(auth_service: Auth, verdicts: Verdicts) -> UserTokens:
    return UserTokens(auth_service, verdicts, max_age=300, refusal_age=30, clock=lambda: NOW)


async def test_a_valid_token_is_asked_once_and_remembered_at_most_max_age(
    tokens: UserTokens, auth_service: Auth, verdicts: Verdicts
) -> None:
    user = auth_service.valid("t1", "customer", "admin")
    for _ in range(3):
        principal = await tokens.principal("t1")
    assert principal.user_id == user
    assert principal.roles == {"customer", "admin"}
    assert auth_service.calls == 1
    assert verdicts.kept["t1"][1] == 300


async def test_a_token_is_never_remembered_past_its_exp(
    tokens: UserTokens, auth_service: Auth, verdicts: Verdicts
) -> None:
    auth_service.valid("t1", expires_in=42)
    await tokens.principal("t1")
    assert verdicts.kept["t1"][1] == pytest.approx(42)


async def test_a_remembered_token_that_expired_meanwhile_is_refused(
    auth_service: Auth, verdicts: Verdicts
) -> None:
    auth_service.valid("t1", expires_in=60)
    clock = [NOW]
    tokens = UserTokens(auth_service, verdicts, clock=lambda: clock[0])
    await tokens.principal("t1")
    clock[0] += 61
    with pytest.raises(Unauthenticated) as refused:
        await tokens.principal("t1")
    assert 'error_description="token expired"' in refused.value.headers["WWW-Authenticate"]


@pytest.mark.parametrize(
    ("reason", "remembered"),
    [("expired", True), ("bad_signature", True), ("unknown_key", False), ("not_yet_valid", False)],
)
async def test_refusals_are_remembered_briefly_unless_time_or_a_rotation_can_change_them(
    tokens: UserTokens, auth_service: Auth, verdicts: Verdicts, reason: str, remembered: bool
) -> None:
    auth_service.invalid("bad", reason)
    with pytest.raises(Unauthenticated, match="not accepted"):
        await tokens.principal("bad")
    assert ("bad" in verdicts.kept) is remembered
    if remembered:
        assert verdicts.kept["bad"][1] == 30


async def test_an_overlong_token_is_refused_without_asking_auth(
    tokens: UserTokens, auth_service: Auth
) -> None:
    with pytest.raises(Unauthenticated):
        await tokens.principal("x" * 8193)
    assert auth_service.calls == 0


# -- the authenticator -------------------------------------------------------------------------------------


def request(authorization: str | None = None) -> Request:
    headers = [(b"authorization", authorization.encode())] if authorization is not None else []
    return Request(
        {"type": "http", "method": "GET", "path": "/", "headers": headers, "client": ("10.1.2.3", 5000)}
    )


async def authenticate(authenticator: GatewayAuthenticator, req: Request, endpoint: Any) -> Any:
    return await authenticator.authenticate(req, endpoint.security, endpoint)


@pytest.fixture
def authenticator(tokens: UserTokens) -> GatewayAuthenticator:
    return GatewayAuthenticator(Identities(tokens))


async def test_no_token_on_a_secured_operation_is_401_with_a_bare_challenge(
    authenticator: GatewayAuthenticator,
) -> None:
    with pytest.raises(HttpProblem) as refused:
        await authenticate(authenticator, request(), endpoints.GATEWAY_GET_ORDER)
    assert refused.value.status == 401
    assert refused.value.headers["WWW-Authenticate"] == 'Bearer realm="a4co-marketplace"'


async def test_another_scheme_is_an_invalid_request(authenticator: GatewayAuthenticator) -> None:
    with pytest.raises(HttpProblem) as refused:
        await authenticate(authenticator, request("Basic bWFyaWE6c2VjcmV0"), endpoints.GATEWAY_GET_ORDER)
    assert refused.value.status == 401
    assert 'error="invalid_request"' in refused.value.headers["WWW-Authenticate"]


async def test_roles_decide_between_the_alternatives(
    authenticator: GatewayAuthenticator, auth_service: Auth
) -> None:
    auth_service.valid("customer", "customer")
    auth_service.valid("admin", "admin")
    auth_service.valid("artisan", "artisan")
    assert await authenticate(authenticator, request("Bearer customer"), endpoints.GATEWAY_GET_ORDER)
    assert await authenticate(authenticator, request("Bearer admin"), endpoints.GATEWAY_GET_ORDER)
    with pytest.raises(HttpProblem) as refused:
        await authenticate(authenticator, request("Bearer artisan"), endpoints.GATEWAY_GET_ORDER)
    assert refused.value.status == 403
    assert refused.value.detail == "This operation needs the role customer or the role admin."
    with pytest.raises(HttpProblem) as not_admin:
        await authenticate(
            authenticator, request("Bearer customer"), endpoints.GATEWAY_GET_REAL_TIME_ANALYTICS
        )
    assert not_admin.value.status == 403


async def test_auth_down_is_503_not_401(authenticator: GatewayAuthenticator, auth_service: Auth) -> None:
    auth_service.down = True
    with pytest.raises(HttpProblem) as refused:
        await authenticate(authenticator, request("Bearer whatever"), endpoints.GATEWAY_GET_ORDER)
    assert refused.value.status == 503
    assert refused.value.headers["Retry-After"] == "1"


async def test_the_identity_is_worked_out_once_per_request(tokens: UserTokens, auth_service: Auth) -> None:
    user = auth_service.valid("t", "customer")
    identities = Identities(tokens)
    req = request("Bearer t")
    first = await identities.of(req.scope)
    again = await identities.of(req.scope)
    assert first is again
    assert first.client == ("user", str(user))
    anonymous = await identities.of(request().scope)
    assert anonymous.client == ("address", "10.1.2.3")
