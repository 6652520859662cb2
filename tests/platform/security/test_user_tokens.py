"""User tokens: a typed principal, or exactly one of the contract's reasons for refusing the token."""

import time
import uuid

import jwt
import pytest

from a4co_sdk.models import auth
from services.platform.security import (
    KeyStore,
    ServiceTokenIssuer,
    TokenFailure,
    TokenRejected,
    UserTokenIssuer,
    UserTokenVerifier,
)

from .helpers import forge, public_pem, rs256, tamper_payload, user_claims


@pytest.fixture
def verifier(keystore: KeyStore) -> UserTokenVerifier:
    return UserTokenVerifier(keystore, cache_size=0)


def _reason(verifier: UserTokenVerifier, token: str) -> TokenFailure:
    with pytest.raises(TokenRejected) as rejected:
        verifier.verify(token)
    return rejected.value.reason


def test_reasons_are_the_contracts() -> None:
    assert {r.value for r in TokenFailure} == {r.value for r in auth.TokenInvalidReason}


def test_round_trip(keystore: KeyStore, verifier: UserTokenVerifier) -> None:
    user = uuid.uuid4()
    token = UserTokenIssuer(keystore).issue(user, ["customer", "artisan", "customer"])

    assert jwt.get_unverified_header(token)["kid"] == "auth-users-2026-11"
    claims = jwt.decode(token, options={"verify_signature": False})
    assert set(claims) == {"iss", "sub", "aud", "roles", "iat", "nbf", "exp", "jti"}
    assert claims["roles"] == ["artisan", "customer"]

    principal = verifier.verify(token)
    assert principal.user_id == user
    assert principal.roles == {"customer", "artisan"}
    assert principal.issuer == "auth"
    assert principal.token_id == uuid.UUID(claims["jti"])
    assert principal.expires_at.timestamp() == claims["exp"] == claims["iat"] + 900
    assert principal.has_roles(["customer"])
    assert not principal.has_roles(["admin"])


def test_the_principal_fills_the_contracts_valid_token(
    keystore: KeyStore, verifier: UserTokenVerifier
) -> None:
    principal = verifier.verify(UserTokenIssuer(keystore).issue(uuid.uuid4(), ["admin"]))
    answer = auth.ValidToken(
        valid=True,
        userId=principal.user_id,
        roles=sorted(principal.roles),
        issuer=principal.issuer,
        tokenId=principal.token_id,
        expiresAt=principal.expires_at,
    )
    assert answer.roles == [auth.UserRole.ADMIN]


def test_expired(keystore: KeyStore, verifier: UserTokenVerifier) -> None:
    token = UserTokenIssuer(keystore, clock=lambda: time.time() - 1000).issue(uuid.uuid4(), ["customer"])
    with pytest.raises(TokenRejected) as rejected:
        verifier.verify(token)
    assert rejected.value.reason is TokenFailure.EXPIRED
    assert "expired" in rejected.value.detail


def test_not_yet_valid(keystore: KeyStore, verifier: UserTokenVerifier) -> None:
    token = UserTokenIssuer(keystore).issue(uuid.uuid4(), ["customer"], not_before=time.time() + 60)
    assert _reason(verifier, token) is TokenFailure.NOT_YET_VALID


def test_bad_signature(keystore: KeyStore, verifier: UserTokenVerifier) -> None:
    token = UserTokenIssuer(keystore).issue(uuid.uuid4(), ["customer"])
    assert _reason(verifier, tamper_payload(token, roles=["admin"])) is TokenFailure.BAD_SIGNATURE


def test_wrong_audience(keystore: KeyStore, verifier: UserTokenVerifier) -> None:
    token = UserTokenIssuer(keystore, audience="elsewhere").issue(uuid.uuid4(), ["customer"])
    assert _reason(verifier, token) is TokenFailure.WRONG_AUDIENCE


def test_wrong_issuer(keystore: KeyStore, verifier: UserTokenVerifier) -> None:
    token = UserTokenIssuer(keystore, issuer="gateway").issue(uuid.uuid4(), ["customer"])
    assert _reason(verifier, token) is TokenFailure.WRONG_ISSUER


def test_algorithm_not_allowed(keystore: KeyStore, verifier: UserTokenVerifier) -> None:
    key = keystore.signing_key("auth-users")
    none = forge({"alg": "none", "kid": key.kid}, user_claims(roles=["admin"]), None)
    hs256 = forge({"alg": "HS256", "kid": key.kid}, user_claims(roles=["admin"]), public_pem(key))
    assert _reason(verifier, none) is TokenFailure.ALGORITHM_NOT_ALLOWED
    assert _reason(verifier, hs256) is TokenFailure.ALGORITHM_NOT_ALLOWED


@pytest.mark.parametrize(
    "changes",
    [
        {"roles": None},
        {"roles": "admin"},
        {"roles": [1]},
        {"sub": "alice"},
        {"jti": "x"},
        {"jti": None},
        {"sub": None},
    ],
)
def test_malformed_claims(
    keystore: KeyStore, verifier: UserTokenVerifier, changes: dict[str, object]
) -> None:
    token = rs256(keystore.signing_key("auth-users"), user_claims(**changes))
    assert _reason(verifier, token) is TokenFailure.MALFORMED


def test_malformed_text(verifier: UserTokenVerifier) -> None:
    assert _reason(verifier, "not a token") is TokenFailure.MALFORMED


def test_unknown_key(keystore: KeyStore, verifier: UserTokenVerifier) -> None:
    key = keystore.signing_key("auth-users")
    assert _reason(verifier, rs256(key, user_claims(), kid="auth-users-2020-01")) is TokenFailure.UNKNOWN_KEY
    # A service key, even auth's own, never signs user tokens.
    assert _reason(verifier, rs256(keystore.signing_key("auth"), user_claims())) is TokenFailure.UNKNOWN_KEY
    service_token = ServiceTokenIssuer("gateway", keystore).issue("auth")
    assert _reason(verifier, service_token) is TokenFailure.UNKNOWN_KEY
