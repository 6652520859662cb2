"""auth's use cases without a server: the verdict on a token, and which keys are published."""

import time
import uuid
from pathlib import Path

import pytest

from a4co_sdk.models import auth
from services.auth.application.tokens import signing_keys, validate_token
from services.auth.bootstrap import user_tokens
from services.platform.security import KeyStore, UserTokenIssuer, UserTokenVerifier
from tests.platform.security.helpers import forge, rs256, user_claims


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    store = KeyStore(Path(tmp_path_factory.mktemp("keys")))
    store.signing_key("gateway")
    return store


@pytest.fixture(scope="module")
def verifier(keys: KeyStore) -> UserTokenVerifier:
    return user_tokens(keys)


async def test_a_valid_token_answers_the_claims_the_gateway_needs(
    keys: KeyStore, verifier: UserTokenVerifier
) -> None:
    user = uuid.uuid4()
    verdict = (await validate_token(UserTokenIssuer(keys).issue(user, ["customer"]), verifier)).root
    assert isinstance(verdict, auth.ValidToken)
    assert (verdict.user_id, verdict.roles, verdict.issuer) == (user, [auth.UserRole.CUSTOMER], "auth")


@pytest.mark.parametrize(
    ("claims", "header", "reason"),
    [
        ({"exp": int(time.time()) - 60}, {}, "expired"),
        ({"aud": "elsewhere"}, {}, "wrong_audience"),
        ({"iss": "gateway"}, {}, "wrong_issuer"),
        ({"jti": None}, {}, "malformed"),
        ({"roles": ["customer", "superuser"]}, {}, "malformed"),
        ({}, {"kid": "auth-users-2001-01"}, "unknown_key"),
    ],
)
async def test_an_invalid_token_gets_the_contracts_reason(
    keys: KeyStore,
    verifier: UserTokenVerifier,
    claims: dict[str, object],
    header: dict[str, str],
    reason: str,
) -> None:
    token = rs256(keys.signing_key("auth-users"), user_claims(**claims), **header)
    verdict = (await validate_token(token, verifier)).root
    assert isinstance(verdict, auth.InvalidToken)
    assert verdict.reason.value == reason
    assert verdict.detail


async def test_the_none_algorithm_is_refused_before_any_key(
    keys: KeyStore, verifier: UserTokenVerifier
) -> None:
    token = forge({"alg": "none", "kid": keys.signing_key("auth-users").kid}, user_claims(), None)
    verdict = (await validate_token(token, verifier)).root
    assert isinstance(verdict, auth.InvalidToken)
    assert verdict.reason is auth.TokenInvalidReason.ALGORITHM_NOT_ALLOWED


async def test_a_service_key_cannot_sign_a_user(keys: KeyStore, verifier: UserTokenVerifier) -> None:
    verdict = (await validate_token(rs256(keys.signing_key("gateway"), user_claims()), verifier)).root
    assert isinstance(verdict, auth.InvalidToken)
    assert verdict.reason is auth.TokenInvalidReason.UNKNOWN_KEY


def test_the_jwk_set_publishes_the_user_token_keys_only(keys: KeyStore) -> None:
    published = signing_keys(keys)
    assert [key.kid for key in published.keys] == [keys.signing_key("auth-users").kid]
    assert published.keys[0].alg == "RS256"
