"""The auth service as a process: the gateway's token verdicts and the JWK Set.

Its contract is checked by schemathesis in tests/contract/test_every_service_contract.py.
"""

import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from a4co.cli import app as cli
from a4co_sdk._runtime.http_errors import Forbidden, Unauthorized
from a4co_sdk.clients.auth import AuthClient
from a4co_sdk.models import auth
from services.platform.ids import customer_id
from services.platform.security import (
    JwksKeySource,
    ServiceTokenIssuer,
    UserTokenIssuer,
    UserTokenVerifier,
)
from tests.platform.security.helpers import forge, rs256, user_claims
from tests.services.harness import Running, running

pytestmark = [pytest.mark.integration]


@pytest.fixture(scope="module")
async def service(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    async with running(Path(tmp_path_factory.mktemp("auth")), "auth") as started:
        yield started


@pytest.fixture
async def gateway_client(service: Running) -> AsyncIterator[AuthClient]:
    async with service.client(AuthClient, "auth", as_service="gateway") as client:
        yield client


def user_token(
    service: Running, user: uuid.UUID | None = None, roles: tuple[str, ...] = ("customer",)
) -> str:
    return UserTokenIssuer(service.keys).issue(user or uuid.uuid4(), roles)


async def verdict(client: AuthClient, token: str) -> auth.ValidToken | auth.InvalidToken:
    return (await client.validate_token(body=auth.ValidateTokenRequest(token=token))).root


async def test_the_gateway_gets_the_claims_of_a_valid_token(
    service: Running, gateway_client: AuthClient
) -> None:
    user = uuid.uuid4()
    answer = await verdict(gateway_client, user_token(service, user, ("customer", "admin")))
    assert isinstance(answer, auth.ValidToken)
    assert answer.user_id == user
    assert answer.roles == [auth.UserRole.ADMIN, auth.UserRole.CUSTOMER]
    assert answer.issuer == "auth"
    assert 890 < answer.expires_at.timestamp() - time.time() <= 900


async def test_an_invalid_token_is_answered_200_with_its_reason(
    service: Running, gateway_client: AuthClient
) -> None:
    key = service.keys.signing_key("auth-users")
    issuer = UserTokenIssuer(service.keys)
    cases = {
        "expired": issuer.issue(uuid.uuid4(), ["customer"], not_before=time.time() - 3600, lifetime=60),
        "not_yet_valid": issuer.issue(uuid.uuid4(), ["customer"], not_before=time.time() + 3600),
        "wrong_audience": rs256(key, user_claims(aud="another-marketplace")),
        "wrong_issuer": rs256(key, user_claims(iss="order")),
        "algorithm_not_allowed": forge({"alg": "none", "kid": key.kid}, user_claims(), None),
        "bad_signature": rs256(service.keys.signing_key("order"), user_claims(), kid=key.kid),
        "unknown_key": rs256(key, user_claims(), kid="auth-users-1999-01"),
        "malformed": "not-a-token",
    }
    for reason, token in cases.items():
        answer = await verdict(gateway_client, token)
        assert isinstance(answer, auth.InvalidToken), reason
        assert answer.reason.value == reason


async def test_a_service_token_is_not_a_user_token(service: Running, gateway_client: AuthClient) -> None:
    answer = await verdict(gateway_client, ServiceTokenIssuer("gateway", service.keys).issue("auth"))
    assert isinstance(answer, auth.InvalidToken)
    assert answer.reason is auth.TokenInvalidReason.UNKNOWN_KEY


async def test_a_role_outside_the_contract_makes_the_token_malformed(
    service: Running, gateway_client: AuthClient
) -> None:
    answer = await verdict(gateway_client, user_token(service, roles=("customer", "root")))
    assert isinstance(answer, auth.InvalidToken)
    assert answer.reason is auth.TokenInvalidReason.MALFORMED


async def test_only_the_gateway_may_ask(service: Running) -> None:
    body = auth.ValidateTokenRequest(token=user_token(service))
    async with service.client(AuthClient, "auth", as_service="order") as order:
        with pytest.raises(Forbidden):
            await order.validate_token(body=body)
    async with AuthClient(service.market.url("auth")) as anonymous:
        with pytest.raises(Unauthorized) as refused:
            await anonymous.validate_token(body=body)
    assert refused.value.headers["www-authenticate"].startswith('Bearer realm="a4co-marketplace"')


async def test_the_jwk_set_holds_the_user_token_keys_only_and_verifies_them(
    service: Running, gateway_client: AuthClient
) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{service.market.url('auth')}/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"
    kids = [key["kid"] for key in response.json()["keys"]]
    assert kids
    assert all(kid.startswith("auth-users-") for kid in kids)

    async def fetch() -> dict[str, Any]:
        return (await gateway_client.get_jwks()).model_dump(mode="json")

    verifier = UserTokenVerifier(JwksKeySource(fetch))
    user = uuid.uuid4()
    assert (await verifier.averify(user_token(service, user))).user_id == user


async def test_dev_token_prints_a_token_auth_accepts(service: Running, gateway_client: AuthClient) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "auth",
            "dev-token",
            "--roles",
            "customer,admin",
            "--minutes",
            "5",
            "--keys-dir",
            str(service.root / "keys"),
        ],
    )
    assert result.exit_code == 0, result.output
    answer = await verdict(gateway_client, result.stdout.strip())
    assert isinstance(answer, auth.ValidToken)
    assert answer.user_id == customer_id("maria.lopez@example.es")
    assert {role.value for role in answer.roles} == {"customer", "admin"}
    assert 280 < answer.expires_at.timestamp() - time.time() <= 300


async def test_dev_token_refuses_unknown_roles(service: Running) -> None:
    result = CliRunner().invoke(
        cli, ["auth", "dev-token", "--roles", "root", "--keys-dir", str(service.root / "keys")]
    )
    assert result.exit_code != 0
    assert "roles" in result.output


async def test_remembered_and_new_tokens_get_the_same_verdicts(
    service: Running, gateway_client: AuthClient
) -> None:
    """Half the tokens asked about again (answered from what auth remembers), half new: all valid, each
    with its own user. How fast, at 500 requests a second, is `python -m bench --only queries`."""
    users = [uuid.uuid4() for _ in range(10)]
    tokens = [user_token(service, user) for user in users]
    for token, user in zip(tokens, users, strict=True):
        answer = await verdict(gateway_client, token)
        assert isinstance(answer, auth.ValidToken)
        assert answer.user_id == user
    for i in range(40):
        user = users[i % 10] if i % 2 else uuid.uuid4()
        token = tokens[i % 10] if i % 2 else user_token(service, user)
        answer = await verdict(gateway_client, token)
        assert isinstance(answer, auth.ValidToken)
        assert answer.user_id == user
