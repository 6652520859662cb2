"""KeyStore: key pairs created once and atomically, dated kids, JWK Set export, rotation, JWKS sources."""

import re
import stat
import uuid
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import jwt
import pytest

from a4co_sdk.models import auth
from services.platform.security import (
    USER_TOKEN_KEY,
    JwksKeySource,
    KeyStore,
    KeyStoreError,
    ServiceTokenIssuer,
    ServiceTokenVerifier,
    TokenFailure,
    TokenRejected,
    UserTokenIssuer,
    UserTokenVerifier,
    VerificationKey,
)
from services.platform.security.keys import jwk_of, key_owner, public_key_from_jwk
from services.platform.security.secret_store import KEYS_DIR_ENV, DirectorySecretStore

from .helpers import segment

CONTRACT_KID = re.compile(r"^[a-z][a-z-]*-[0-9]{4}-[0-9]{2}$")  # auth.yaml, JsonWebKey.kid


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _create_in_process(directory: str) -> tuple[str, str]:
    key = KeyStore(directory).signing_key("inventory")
    return key.kid, key.verification_key().thumbprint


def test_first_use_creates_a_private_and_a_public_key(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys", now=lambda: datetime(2026, 11, 20, tzinfo=UTC))
    key = store.signing_key("order")

    assert key.kid == "order-2026-11"
    assert CONTRACT_KID.match(key.kid)
    assert key.private_key.key_size == 2048
    private, public = tmp_path / "keys" / "order.key.pem", tmp_path / "keys" / "order-2026-11.pub.pem"
    assert _mode(private) == 0o600
    assert _mode(public) == 0o644
    assert _mode(tmp_path / "keys") == 0o700
    assert private.read_text().startswith("kid: order-2026-11\n-----BEGIN PRIVATE KEY-----")
    assert public.read_text().startswith("kid: order-2026-11\n-----BEGIN PUBLIC KEY-----")
    assert not [p for p in (tmp_path / "keys").iterdir() if p.name.startswith(".")], "temporary files left"


def test_keys_are_stable_across_processes_and_restarts(tmp_path: Path) -> None:
    first = KeyStore(tmp_path).signing_key("order")
    again = KeyStore(tmp_path).signing_key("order")

    assert again.kid == first.kid
    assert again.verification_key().thumbprint == first.verification_key().thumbprint


def test_services_starting_at_once_agree_on_one_key(tmp_path: Path) -> None:
    with ProcessPoolExecutor(6) as pool:
        results = list(pool.map(_create_in_process, [str(tmp_path)] * 6))
    with ThreadPoolExecutor(6) as pool:
        results += list(pool.map(_create_in_process, [str(tmp_path)] * 6))

    assert len(set(results)) == 1
    kid = results[0][0]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{kid}.pub.pem", "inventory.key.pem"]


def test_keys_dir_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEYS_DIR_ENV, str(tmp_path / "elsewhere"))
    store = KeyStore.from_env()
    assert isinstance(store.secrets, DirectorySecretStore)
    assert store.secrets.directory == tmp_path / "elsewhere"
    monkeypatch.delenv(KEYS_DIR_ENV)
    default = KeyStore()
    assert isinstance(default.secrets, DirectorySecretStore)
    assert default.secrets.directory == Path(".run/keys")


def test_jwks_has_valid_rs256_jwks_that_verify_tokens(keystore: KeyStore) -> None:
    jwks = keystore.jwks()

    assert {k["kid"] for k in jwks["keys"]} >= {"gateway-2026-11", "order-2026-11", "auth-users-2026-11"}
    for jwk in jwks["keys"]:
        assert set(jwk) == {"kty", "kid", "use", "alg", "n", "e"}
        assert (jwk["kty"], jwk["use"], jwk["alg"], jwk["e"]) == ("RSA", "sig", "RS256", "AQAB")
        assert re.fullmatch(r"[A-Za-z0-9_-]{342,}", jwk["n"])
    auth.JsonWebKeySet.model_validate(jwks)  # the contract's schema, kid pattern included

    # An independent implementation (PyJWT's JWK support) verifies our tokens with the exported keys.
    token = ServiceTokenIssuer("gateway", keystore).issue("order")
    kid = jwt.get_unverified_header(token)["kid"]
    public = jwt.PyJWKSet.from_dict(jwks)[kid]
    claims = jwt.decode(token, public.key, algorithms=["RS256"], audience="a4co-marketplace")
    assert claims["iss"] == "gateway"


def test_auth_publishes_only_the_user_token_keys(keystore: KeyStore) -> None:
    jwks = keystore.jwks([USER_TOKEN_KEY])
    assert [k["kid"] for k in jwks["keys"]] == ["auth-users-2026-11"]


def test_thumbprint_follows_rfc_7638() -> None:
    # RFC 7638, section 3.1.
    jwk = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPe"
        "bWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQ"
        "MicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcR"
        "wr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "example-2011-04",
    }
    kid, public_key = public_key_from_jwk(jwk)
    key = VerificationKey(kid, "example", public_key)
    assert key.thumbprint == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    assert jwk_of(kid, public_key) == jwk | {"use": "sig"}


def test_a_kid_is_never_a_path(keystore: KeyStore) -> None:
    for kid in ("../order.key", "order.key", "/etc/passwd", "order-2026-13", "Order-2026-11", ""):
        assert keystore.verification_key(kid) is None
    assert key_owner("auth-users-2026-11") == "auth-users"


def test_a_public_key_that_contradicts_its_private_key_is_refused(tmp_path: Path) -> None:
    KeyStore(tmp_path).signing_key("order")
    other = KeyStore(tmp_path / "other").signing_key("order")
    (tmp_path / "order-2026-11.pub.pem").unlink()
    (tmp_path / "order-2026-11.pub.pem").write_bytes(
        (tmp_path / "other" / "order-2026-11.pub.pem").read_bytes()
    )
    assert other.kid == "order-2026-11"

    with pytest.raises(KeyStoreError, match="two keys were created under one kid"):
        KeyStore(tmp_path).signing_key("order")


def test_rotation_keeps_old_tokens_valid_until_the_key_is_retired(tmp_path: Path) -> None:
    month = [datetime(2026, 10, 31, tzinfo=UTC)]
    store = KeyStore(tmp_path, now=lambda: month[0])
    verifier = ServiceTokenVerifier("order", store)
    old_token = ServiceTokenIssuer("payment", store).issue("order")

    month[0] = datetime(2026, 11, 1, tzinfo=UTC)
    new_key = store.rotate("payment")
    new_token = ServiceTokenIssuer("payment", store).issue("order")

    assert new_key.kid == "payment-2026-11"
    assert jwt.get_unverified_header(new_token)["kid"] == "payment-2026-11"
    assert verifier.verify(old_token).service == "payment"
    assert verifier.verify(new_token).service == "payment"
    assert [k["kid"] for k in store.jwks()["keys"]] == ["payment-2026-11", "payment-2026-10"]
    with pytest.raises(KeyStoreError, match="one key per name and month"):
        store.rotate("payment")
    with pytest.raises(KeyStoreError, match="current key"):
        store.retire("payment-2026-11")

    store.retire("payment-2026-10")
    with pytest.raises(TokenRejected) as rejected:
        verifier.verify(old_token)  # even though it was verified (and remembered) before
    assert rejected.value.reason is TokenFailure.UNKNOWN_KEY
    assert verifier.verify(new_token).service == "payment"


def test_a_rotation_racing_another_fails_without_replacing_the_winner(tmp_path: Path) -> None:
    month = [datetime(2026, 10, 31, tzinfo=UTC)]
    first, second = KeyStore(tmp_path, now=lambda: month[0]), KeyStore(tmp_path, now=lambda: month[0])
    second.signing_key("payment")
    month[0] = datetime(2026, 11, 1, tzinfo=UTC)
    winner = first.rotate("payment")

    with pytest.raises(KeyStoreError, match="two keys were created under one kid"):
        second.rotate("payment")
    assert KeyStore(tmp_path).signing_key("payment").verification_key().thumbprint == (
        winner.verification_key().thumbprint
    )


async def test_jwks_source_fetches_again_for_an_unknown_kid(tmp_path: Path) -> None:
    month = [datetime(2026, 10, 1, tzinfo=UTC)]
    auth_keys = KeyStore(tmp_path, now=lambda: month[0])
    issuer = UserTokenIssuer(auth_keys)
    fetches = []
    clock = [0.0]

    async def fetch() -> dict[str, list[dict[str, str]]]:
        fetches.append(clock[0])
        return auth_keys.jwks([USER_TOKEN_KEY])

    source = JwksKeySource(fetch, clock=lambda: clock[0])
    verifier = UserTokenVerifier(source)
    first = issuer.issue(uuid.uuid4(), ["customer"])
    assert (await verifier.averify(first)).roles == {"customer"}
    assert len(fetches) == 1

    month[0] = datetime(2026, 11, 1, tzinfo=UTC)
    auth_keys.rotate(USER_TOKEN_KEY)
    second = issuer.issue(uuid.uuid4(), ["admin"])
    clock[0] = 60.0
    assert (await verifier.averify(second)).roles == {"admin"}  # unknown kid: one more fetch
    assert len(fetches) == 2

    forged_kid = ".".join([segment({"alg": "RS256", "kid": "auth-users-2030-01"}), *second.split(".")[1:]])
    clock[0] = 100.0
    for _ in range(5):  # made-up kids cause one fetch, not one per request
        with pytest.raises(TokenRejected, match="unknown_key"):
            await verifier.averify(forged_kid)
    assert len(fetches) == 3

    clock[0] = 100.0 + 300.0  # stale: fetched again before verifying
    await verifier.averify(second)
    assert len(fetches) == 4


async def test_jwks_source_keeps_its_keys_when_a_fetch_fails(keystore: KeyStore) -> None:
    calls = []

    async def fetch() -> dict[str, list[dict[str, str]]]:
        calls.append(1)
        if len(calls) > 1:
            raise OSError("auth is down")
        return keystore.jwks()

    clock = [0.0]
    source = JwksKeySource(fetch, clock=lambda: clock[0])
    assert await source.refresh()
    clock[0] = 1000.0
    assert not await source.refresh()
    assert source.verification_key("order-2026-11") is not None


def test_jwks_source_skips_keys_that_cannot_verify_rs256(keystore: KeyStore) -> None:
    good = keystore.jwks()["keys"][0]
    source = JwksKeySource.of(
        {"keys": [good, {**good, "kid": "bad-2026-11", "alg": "HS256"}, {"kty": "oct", "k": "c2VjcmV0"}]}
    )
    assert source.verification_key(good["kid"]) is not None
    assert source.verification_key("bad-2026-11") is None
