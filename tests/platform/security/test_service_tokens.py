"""Service tokens: the design document's claims, the issuer's cache, and every way a token is refused."""

import time
import uuid
from typing import Any

import jwt
import pytest

from services.platform.security import (
    USER_TOKEN_KEY,
    KeyStore,
    ServiceTokenIssuer,
    ServiceTokenVerifier,
    TokenFailure,
    TokenRejected,
    UserTokenIssuer,
)
from services.platform.security.tokens import Rs256Verifier

from .helpers import forge, public_pem, rs256, segment, service_claims, tamper_payload


def _reason(verifier: ServiceTokenVerifier, token: str) -> TokenFailure:
    with pytest.raises(TokenRejected) as rejected:
        verifier.verify(token)
    return rejected.value.reason


@pytest.fixture
def verifier(keystore: KeyStore) -> ServiceTokenVerifier:
    return ServiceTokenVerifier("order", keystore, cache_size=0)


def test_round_trip_carries_the_design_documents_claims(keystore: KeyStore) -> None:
    issuer = ServiceTokenIssuer("gateway", keystore, permissions=lambda target: [f"{target}:read"])
    token = issuer.issue("order")

    header = jwt.get_unverified_header(token)
    assert header == {"alg": "RS256", "typ": "JWT", "kid": "gateway-2026-11"}
    claims = jwt.decode(token, options={"verify_signature": False})
    assert set(claims) == {"iss", "sub", "aud", "iat", "nbf", "exp", "jti", "permissions"}
    assert (claims["iss"], claims["sub"], claims["aud"]) == ("gateway", "order", "a4co-marketplace")
    assert claims["exp"] - claims["iat"] == 300
    assert claims["nbf"] == claims["iat"]
    assert uuid.UUID(claims["jti"]).version == 4
    assert claims["permissions"] == ["order:read"]

    principal = ServiceTokenVerifier("order", keystore).verify(token)
    assert principal.service == "gateway"
    assert principal.target == "order"
    assert principal.token_id == claims["jti"]
    assert principal.permissions == ("order:read",)
    assert principal.expires_at.timestamp() == claims["exp"]


def test_the_issuer_reuses_a_token_and_signs_a_new_one_before_it_expires(keystore: KeyStore) -> None:
    now = [1_800_000_000.0]
    issuer = ServiceTokenIssuer("gateway", keystore, clock=lambda: now[0])

    first = issuer.token_for("order")
    now[0] += 239  # 61 s left: still reused
    assert issuer.token_for("order") == first
    assert issuer.token_for("inventory") != first  # one token per target
    assert issuer.issued == 2

    now[0] += 1  # 60 s left: time for a new one
    second = issuer.token_for("order")
    assert second != first
    assert issuer.issued == 3
    assert jwt.decode(second, options={"verify_signature": False})["iat"] == int(now[0])


async def test_the_provider_feeds_the_generated_clients(keystore: KeyStore) -> None:
    issuer = ServiceTokenIssuer("gateway", keystore)
    provide = issuer.provider("order")
    assert await provide() == await provide() == issuer.token_for("order")


def test_issuer_names_are_checked(keystore: KeyStore) -> None:
    for name in ("Gateway", "gateway_2", USER_TOKEN_KEY, ""):
        with pytest.raises(ValueError, match="service name"):
            ServiceTokenIssuer(name, keystore)
    with pytest.raises(ValueError, match="refresh_before"):
        ServiceTokenIssuer("gateway", keystore, lifetime=60, refresh_before=60)


def test_expired(keystore: KeyStore, verifier: ServiceTokenVerifier) -> None:
    past = ServiceTokenIssuer("gateway", keystore, clock=lambda: time.time() - 320)
    assert _reason(verifier, past.issue("order")) is TokenFailure.EXPIRED


def test_within_the_leeway_is_still_valid(keystore: KeyStore, verifier: ServiceTokenVerifier) -> None:
    skewed = ServiceTokenIssuer("gateway", keystore, clock=lambda: time.time() - 305)
    assert verifier.verify(skewed.issue("order")).service == "gateway"
    ahead = ServiceTokenIssuer("gateway", keystore, clock=lambda: time.time() + 5)
    assert verifier.verify(ahead.issue("order")).service == "gateway"


def test_not_before_in_the_future(keystore: KeyStore, verifier: ServiceTokenVerifier) -> None:
    key = keystore.signing_key("gateway")
    later = int(time.time()) + 120
    assert _reason(verifier, rs256(key, service_claims("gateway", "order", nbf=later))) is (
        TokenFailure.NOT_YET_VALID
    )
    assert _reason(verifier, rs256(key, service_claims("gateway", "order", iat=later))) is (
        TokenFailure.NOT_YET_VALID
    )


def test_wrong_audience(keystore: KeyStore, verifier: ServiceTokenVerifier) -> None:
    other = ServiceTokenIssuer("gateway", keystore, audience="another-marketplace")
    assert _reason(verifier, other.issue("order")) is TokenFailure.WRONG_AUDIENCE
    key = keystore.signing_key("gateway")
    as_list = rs256(key, service_claims("gateway", "order", aud=["a4co-marketplace", "x"]))
    assert _reason(verifier, as_list) is TokenFailure.WRONG_AUDIENCE


def test_a_token_for_another_service_is_refused(keystore: KeyStore, verifier: ServiceTokenVerifier) -> None:
    token = ServiceTokenIssuer("gateway", keystore).issue("inventory")
    with pytest.raises(TokenRejected, match="the token is for 'inventory', not 'order'") as rejected:
        verifier.verify(token)
    assert rejected.value.reason is TokenFailure.WRONG_AUDIENCE


def test_a_service_cannot_speak_for_another(keystore: KeyStore, verifier: ServiceTokenVerifier) -> None:
    # Signed with payment's own key, claiming to be the gateway.
    token = rs256(keystore.signing_key("payment"), service_claims("gateway", "order"))
    assert _reason(verifier, token) is TokenFailure.WRONG_ISSUER


def test_alg_none(keystore: KeyStore, verifier: ServiceTokenVerifier) -> None:
    for alg in ("none", "None", "NONE"):
        token = forge({"alg": alg, "kid": "gateway-2026-11"}, service_claims("gateway", "order"), None)
        assert _reason(verifier, token) is TokenFailure.ALGORITHM_NOT_ALLOWED
    no_alg = forge({"kid": "gateway-2026-11"}, service_claims("gateway", "order"), None)
    assert _reason(verifier, no_alg) is TokenFailure.ALGORITHM_NOT_ALLOWED


def test_hs256_keyed_with_the_public_key(keystore: KeyStore, verifier: ServiceTokenVerifier) -> None:
    key = keystore.signing_key("gateway")
    secret = public_pem(key)
    token = forge({"alg": "HS256", "kid": key.kid}, service_claims("gateway", "order"), secret)
    assert _reason(verifier, token) is TokenFailure.ALGORITHM_NOT_ALLOWED
    # The kid-less header of the classic attack fares no better.
    token = forge({"alg": "HS256"}, service_claims("gateway", "order"), secret)
    assert _reason(verifier, token) is TokenFailure.ALGORITHM_NOT_ALLOWED


def test_other_rsa_algorithms_are_not_allowed(keystore: KeyStore, verifier: ServiceTokenVerifier) -> None:
    key = keystore.signing_key("gateway")
    for alg in ("RS512", "PS256"):
        token = jwt.encode(
            service_claims("gateway", "order"), key.private_key, algorithm=alg, headers={"kid": key.kid}
        )
        assert _reason(verifier, token) is TokenFailure.ALGORITHM_NOT_ALLOWED


def test_unknown_kid(keystore: KeyStore, verifier: ServiceTokenVerifier) -> None:
    key = keystore.signing_key("gateway")
    for kid in ("ghost-2026-11", "gateway-2025-01", "../gateway.key", "gateway.key.pem"):
        assert _reason(verifier, rs256(key, service_claims("gateway", "order"), kid=kid)) is (
            TokenFailure.UNKNOWN_KEY
        )


def test_user_tokens_are_not_service_tokens(keystore: KeyStore, verifier: ServiceTokenVerifier) -> None:
    user_token = UserTokenIssuer(keystore).issue(uuid.uuid4(), ["admin"])
    assert _reason(verifier, user_token) is TokenFailure.UNKNOWN_KEY
    # Not even when shaped like a service token: the user-token key never signs for a service.
    forged = rs256(keystore.signing_key(USER_TOKEN_KEY), service_claims("auth-users", "order"))
    assert _reason(verifier, forged) is TokenFailure.UNKNOWN_KEY


def test_tampered_payload(keystore: KeyStore, verifier: ServiceTokenVerifier) -> None:
    token = ServiceTokenIssuer("payment", keystore).issue("order")
    assert _reason(verifier, tamper_payload(token, iss="gateway")) is TokenFailure.BAD_SIGNATURE
    assert (
        _reason(verifier, tamper_payload(token, exp=int(time.time()) + 86400)) is TokenFailure.BAD_SIGNATURE
    )
    header, payload, signature = token.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    assert _reason(verifier, f"{header}.{payload}.{flipped}") is TokenFailure.BAD_SIGNATURE


def test_signed_by_another_key_under_the_right_kid(
    keystore: KeyStore, verifier: ServiceTokenVerifier
) -> None:
    imposter = keystore.signing_key("payment")
    token = forge(
        {"alg": "RS256", "kid": "gateway-2026-11"}, service_claims("gateway", "order"), imposter.private_key
    )
    assert _reason(verifier, token) is TokenFailure.BAD_SIGNATURE


@pytest.mark.parametrize("claim", ["jti", "sub", "exp", "iat", "nbf", "iss", "aud"])
def test_missing_claims(keystore: KeyStore, verifier: ServiceTokenVerifier, claim: str) -> None:
    token = rs256(keystore.signing_key("gateway"), service_claims("gateway", "order", **{claim: None}))
    assert _reason(verifier, token) is TokenFailure.MALFORMED


@pytest.mark.parametrize(
    "changes",
    [{"jti": 42}, {"sub": ["order"]}, {"exp": "soon"}, {"iat": "now"}, {"permissions": "all"}],
)
def test_claims_of_the_wrong_type(keystore: KeyStore, verifier: ServiceTokenVerifier, changes: Any) -> None:
    token = rs256(keystore.signing_key("gateway"), service_claims("gateway", "order", **changes))
    assert _reason(verifier, token) is TokenFailure.MALFORMED


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c",
        "a.b.c.d",
        "eyJhbGciOiJSUzI1NiJ9..",
        "x" * 9000,
        f"{segment({'alg': 'RS256'})}.e30.",
    ],
)
def test_malformed(verifier: ServiceTokenVerifier, token: str) -> None:
    assert _reason(verifier, token) is TokenFailure.MALFORMED


def test_critical_headers_are_refused(keystore: KeyStore, verifier: ServiceTokenVerifier) -> None:
    key = keystore.signing_key("gateway")
    token = rs256(key, service_claims("gateway", "order"), crit=["exp"], exp=1)
    assert _reason(verifier, token) is TokenFailure.MALFORMED


def test_verified_tokens_are_remembered_until_they_expire(keystore: KeyStore) -> None:
    now = [time.time()]
    verifier = Rs256Verifier(
        keystore, accepts=lambda _key: True, issuer_for=lambda key: key.owner, clock=lambda: now[0]
    )
    token = ServiceTokenIssuer("gateway", keystore).issue("order")
    first = verifier.verify(token)
    assert verifier.verify(token) is first
    now[0] += 300 + 11  # past exp and the leeway: verified again (and PyJWT's own clock decides)
    assert verifier.verify(token) is not first
    verifier.forget()
    assert verifier.verify(token) is not first
