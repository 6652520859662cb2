"""The auth service as a process: the gateway's token verdicts, the JWK Set, and its contract."""

import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from schemathesis.checks import CHECKS, load_all_checks
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

CONTRACT = Path(__file__).parents[3] / "contracts" / "openapi" / "auth.yaml"


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


async def test_validation_answers_well_within_its_sla(service: Running, gateway_client: AuthClient) -> None:
    tokens = [user_token(service) for _ in range(20)]
    for token in tokens:  # warm up the connection and the verifier
        await verdict(gateway_client, token)
    durations = []
    for i in range(300):
        token = tokens[i % 20] if i % 2 else user_token(service)  # half remembered, half new
        started = time.perf_counter()
        await verdict(gateway_client, token)
        durations.append(time.perf_counter() - started)
    durations.sort()
    p99 = durations[int(len(durations) * 0.99) - 1]
    assert p99 < 0.050, f"p99 {p99 * 1000:.1f} ms"


# -- the contract, checked by schemathesis against the running service -----------------------------------

load_all_checks()
ALL_CHECKS = list(CHECKS.get_all())


@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode), ids=lambda mode: mode.value)
def test_auth_answers_as_its_contract_says(service: Running, mode: schemathesis.GenerationMode) -> None:
    """Every operation of auth.yaml, positive and negative data, every check schemathesis has."""
    schema = schemathesis.openapi.from_path(CONTRACT)
    schema.config.update(base_url=service.market.url("auth"))
    token = ServiceTokenIssuer("gateway", service.keys).issue("auth")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {operation.label for operation in operations} >= {
        "POST /api/auth/validate-token",
        "GET /.well-known/jwks.json",
    }
    if mode is schemathesis.GenerationMode.NEGATIVE:  # nothing to make invalid in a request without input
        operations = [op for op in operations if len(op.body) or len(op.query) or len(op.path_parameters)]
    for operation in operations:

        @hypothesis.settings(
            max_examples=60,
            deadline=None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            derandomize=True,
        )
        @hypothesis.given(case=operation.as_strategy(mode))
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=ALL_CHECKS)

        check()
