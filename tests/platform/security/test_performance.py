"""How long signing, verifying and field encryption take (printed; the bounds only catch regressions).

.venv/bin/pytest tests/platform/security/test_performance.py -s
"""

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from starlette.requests import Request

from a4co_sdk._runtime.sensitive import transform_fields
from a4co_sdk.endpoints import auth as auth_endpoints
from services.platform.security import (
    AesGcmFieldCipher,
    KeyStore,
    RequestAuthenticator,
    ServiceTokenIssuer,
    ServiceTokenVerifier,
    UserTokenIssuer,
    UserTokenVerifier,
)

from .test_field_cipher import SPEC, _card, _wire


def _microseconds(work: Callable[[], object], rounds: int) -> float:
    work()
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(rounds):
            work()
        best = min(best, (time.perf_counter() - start) / rounds * 1e6)
    return best


def _report(capsys: pytest.CaptureFixture[str], results: dict[str, float]) -> None:
    with capsys.disabled():
        print()  # noqa: T201 - the measurements are what this test reports
        for name, value in results.items():
            print(f"  {name:<52} {value:9.1f} µs")  # noqa: T201


def test_token_costs(keystore: KeyStore, capsys: pytest.CaptureFixture[str]) -> None:
    issuer = ServiceTokenIssuer("gateway", keystore)
    token = issuer.issue("auth")
    uncached = ServiceTokenVerifier("auth", keystore, cache_size=0)
    cached = ServiceTokenVerifier("auth", keystore)
    user_token = UserTokenIssuer(keystore).issue(uuid.uuid4(), ["customer"])
    users = UserTokenVerifier(keystore, cache_size=0)
    authenticator = RequestAuthenticator(services=cached)
    endpoint = auth_endpoints.VALIDATE_TOKEN
    request = Request(
        {
            "type": "http",
            "method": "POST",
            "path": "/",
            "headers": [(b"authorization", f"Bearer {token}".encode())],
            "query_string": b"",
        }
    )

    async def authenticate() -> Any:
        return await authenticator.authenticate(request, endpoint.security, endpoint)

    def run_authenticate() -> None:
        coroutine = authenticate()
        try:
            coroutine.send(None)
        except StopIteration:
            return
        raise AssertionError("authenticate() waited for something")

    results = {
        "service token: sign (RS256, 2048-bit)": _microseconds(lambda: issuer.issue("auth"), 50),
        "service token: token_for (cached)": _microseconds(lambda: issuer.token_for("auth"), 10_000),
        "service token: verify (RSA + claims)": _microseconds(lambda: uncached.verify(token), 1_000),
        "service token: verify (remembered)": _microseconds(lambda: cached.verify(token), 10_000),
        "user token: verify (RSA + claims)": _microseconds(lambda: users.verify(user_token), 1_000),
        "RequestAuthenticator.authenticate (remembered token)": _microseconds(run_authenticate, 10_000),
    }
    _report(capsys, results)
    assert results["service token: verify (RSA + claims)"] < 2_000
    assert results["service token: verify (remembered)"] < 100
    assert results["service token: token_for (cached)"] < 50


def test_field_encryption_costs(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    cipher = AesGcmFieldCipher.for_service("payment", KeyStore(tmp_path))
    path = ("paymentMethod", "cardNumber")
    token = cipher.encrypt("4111111111111111", path=path, classification="pci", message=SPEC.name)
    document = _wire(_card())

    def message_round_trip() -> None:
        copy = {**document, "paymentMethod": dict(document["paymentMethod"])}
        transform_fields(
            copy,
            SPEC.sensitive,
            lambda v, p, c: cipher.encrypt(v, path=p, classification=c, message=SPEC.name),
        )
        transform_fields(
            copy,
            SPEC.sensitive,
            lambda v, p, c: cipher.decrypt(v, path=p, classification=c, message=SPEC.name),
        )

    results = {
        "field: encrypt (AES-256-GCM, 16-char card number)": _microseconds(
            lambda: cipher.encrypt("4111111111111111", path=path, classification="pci", message=SPEC.name),
            20_000,
        ),
        "field: decrypt": _microseconds(
            lambda: cipher.decrypt(token, path=path, classification="pci", message=SPEC.name), 20_000
        ),
        "PaymentProcessingStarted (card, 4 fields): both ways": _microseconds(message_round_trip, 5_000),
    }
    _report(capsys, results)
    assert results["field: encrypt (AES-256-GCM, 16-char card number)"] < 200
    assert results["field: decrypt"] < 200
