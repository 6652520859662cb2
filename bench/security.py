"""What the platform's security costs per call, beside what the bare libraries cost in the same run.

- Service tokens: signing (RS256, 2048-bit key), the issuer's cached `token_for`, verification (RSA and
  claims) and a remembered verification; user token verification; the HTTP authenticator on a
  remembered token. Baselines: PyJWT's own `encode`/`decode` with the same RSA key, and PyJWT's HS256
  decode (a verification without RSA: what a remembered token should come close to).
- Field encryption (AES-256-GCM with associated data, base64, key id prefix): one value both ways, and
  a whole `PaymentProcessingStarted` message (4 sensitive fields) both ways. Baseline: `AESGCM` on the
  same 16 bytes with a fresh nonce.

Each figure is the best of 3 rounds (the least disturbed by other work on the machine), in µs per call.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench._report import Report, Table, fmt_ratio, fmt_us

__all__ = ["Config", "Cost", "measure", "report", "run"]


@dataclass(frozen=True)
class Config:
    scale: float = 1.0
    """Multiplies the number of calls per round."""


FULL = Config(1.0)
QUICK = Config(0.1)
TINY = Config(0.01)


@dataclass(frozen=True)
class Cost:
    name: str
    microseconds: float
    baseline: str | None = None
    baseline_microseconds: float = float("nan")

    @property
    def ratio(self) -> float:
        return self.microseconds / self.baseline_microseconds


def _microseconds(work: Callable[[], object], rounds: int) -> float:
    work()
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(rounds):
            work()
        best = min(best, (time.perf_counter() - start) / rounds * 1e6)
    return best


def _payment_message() -> dict[str, Any]:
    import orjson

    from a4co_sdk.models import common, payment

    model = payment.PaymentProcessingStarted(
        payment_id=uuid.uuid4(),
        order_id=uuid.uuid4(),
        amount=common.Money(amount=Decimal("24.90"), currency="EUR"),
        payment_method=payment.PaymentMethod(
            payment.CardPaymentMethod(
                type="card",
                payment_method_id=uuid.uuid4(),
                card_number="4111111111111111",
                cvv="123",
                expiry_month=12,
                expiry_year=2029,
                holder_name="Lucía Martínez",
                brand=payment.Brand.VISA,
                last4="1111",
            )
        ),
        customer_id=uuid.uuid4(),
        customer_email="lucia@example.es",
        processor_id="redsys",
        started_at=datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
    )
    document: dict[str, Any] = orjson.loads(model.model_dump_json(by_alias=True, exclude_none=True))
    return document


def _present(document: Any, path: tuple[str, ...]) -> bool:
    for name in path:
        if not isinstance(document, dict) or name not in document:
            return False
        document = document[name]
    return True


def _token_costs(keys: Any, n: Callable[[int], int]) -> list[Cost]:
    import jwt
    from starlette.requests import Request

    from a4co_sdk.endpoints import auth as auth_endpoints
    from services.platform.security import (
        RequestAuthenticator,
        ServiceTokenIssuer,
        ServiceTokenVerifier,
        UserTokenIssuer,
        UserTokenVerifier,
    )

    issuer = ServiceTokenIssuer("gateway", keys)
    token = issuer.issue("auth")
    uncached = ServiceTokenVerifier("auth", keys, cache_size=0)
    cached = ServiceTokenVerifier("auth", keys)
    user_token = UserTokenIssuer(keys).issue(uuid.uuid4(), ["customer"])
    users = UserTokenVerifier(keys, cache_size=0)
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

    def authenticate_remembered() -> None:
        coroutine = authenticator.authenticate(request, endpoint.security, endpoint)
        try:
            coroutine.send(None)
        except StopIteration:
            return
        coroutine.close()
        raise RuntimeError("authenticate() waited for something with a remembered token")

    # The baselines: PyJWT alone, with the same key and the same kind of claims.
    key = keys.signing_key("gateway")
    public = key.private_key.public_key()
    claims = jwt.decode(token, options={"verify_signature": False})
    raw_rs256 = jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})
    secret = os.urandom(32)
    raw_hs256 = jwt.encode(claims, secret, algorithm="HS256")

    def pyjwt_rs256_decode() -> object:
        return jwt.decode(raw_rs256, public, algorithms=["RS256"], audience=claims["aud"])

    def pyjwt_hs256_decode() -> object:
        return jwt.decode(raw_hs256, secret, algorithms=["HS256"], audience=claims["aud"])

    sign_base = _microseconds(
        lambda: jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid}), n(50)
    )
    rs_base = _microseconds(pyjwt_rs256_decode, n(1000))
    hs_base = _microseconds(pyjwt_hs256_decode, n(10_000))
    return [
        Cost("service token: sign (RS256, 2048-bit)", _microseconds(lambda: issuer.issue("auth"), n(50)),
             "PyJWT encode RS256", sign_base),
        Cost("service token: token_for (cached)", _microseconds(lambda: issuer.token_for("auth"), n(10_000))),
        Cost("service token: verify (RSA + claims)", _microseconds(lambda: uncached.verify(token), n(1000)),
             "PyJWT decode RS256", rs_base),
        Cost("service token: verify (remembered)", _microseconds(lambda: cached.verify(token), n(10_000)),
             "PyJWT decode HS256", hs_base),
        Cost("user token: verify (RSA + claims)", _microseconds(lambda: users.verify(user_token), n(1000)),
             "PyJWT decode RS256", rs_base),
        Cost("authenticate a request (remembered)", _microseconds(authenticate_remembered, n(10_000)),
             "PyJWT decode HS256", hs_base),
    ]  # fmt: skip


def _field_costs(keys: Any, n: Callable[[int], int]) -> list[Cost]:
    import base64

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from a4co_sdk import messages
    from a4co_sdk._runtime.sensitive import transform_fields
    from services.platform.security import AesGcmFieldCipher

    spec = messages.PAYMENT_PROCESSING_STARTED
    cipher = AesGcmFieldCipher.for_service("payment", keys)
    path = ("paymentMethod", "cardNumber")
    value = "4111111111111111"
    token = cipher.encrypt(value, path=path, classification="pci", message=spec.name)
    if cipher.decrypt(token, path=path, classification="pci", message=spec.name) != value:
        raise RuntimeError("the field cipher does not give back what it encrypted")
    document = _payment_message()

    def message_round_trip() -> None:
        copy = {**document, "paymentMethod": dict(document["paymentMethod"])}
        transform_fields(
            copy,
            spec.sensitive,
            lambda v, p, c: cipher.encrypt(v, path=p, classification=c, message=spec.name),
        )
        transform_fields(
            copy,
            spec.sensitive,
            lambda v, p, c: cipher.decrypt(v, path=p, classification=c, message=spec.name),
        )

    aes = AESGCM(AESGCM.generate_key(bit_length=256))
    associated = b"pci-0001|payment.processing.started|paymentMethod.cardNumber"
    nonce = os.urandom(12)
    sealed = base64.urlsafe_b64encode(nonce + aes.encrypt(nonce, value.encode(), associated))

    def raw_encrypt() -> bytes:
        fresh = os.urandom(12)
        return base64.urlsafe_b64encode(fresh + aes.encrypt(fresh, value.encode(), associated))

    def raw_decrypt() -> str:
        data = base64.urlsafe_b64decode(sealed)
        return aes.decrypt(data[:12], data[12:], associated).decode()

    enc_base = _microseconds(raw_encrypt, n(20_000))
    dec_base = _microseconds(raw_decrypt, n(20_000))
    fields = sum(1 for field_path in spec.sensitive if _present(document, field_path))
    return [
        Cost(
            "field: encrypt (AES-256-GCM, 16-char card number)",
            _microseconds(
                lambda: cipher.encrypt(value, path=path, classification="pci", message=spec.name), n(20_000)
            ),
            "AESGCM.encrypt + base64",
            enc_base,
        ),
        Cost(
            "field: decrypt",
            _microseconds(
                lambda: cipher.decrypt(token, path=path, classification="pci", message=spec.name), n(20_000)
            ),
            "AESGCM.decrypt + base64",
            dec_base,
        ),
        Cost(
            f"PaymentProcessingStarted ({fields} sensitive fields): both ways",
            _microseconds(message_round_trip, n(5000)),
            f"{fields}× raw encrypt + decrypt",
            fields * (enc_base + dec_base),
        ),
    ]


def measure(config: Config) -> list[Cost]:
    from services.platform.security import USER_TOKEN_KEY, KeyStore

    def n(rounds: int) -> int:
        return max(5, int(rounds * config.scale))

    with tempfile.TemporaryDirectory(prefix="a4co-bench-keys-") as tmp:
        keys = KeyStore(Path(tmp))
        for name in ("gateway", "auth", "payment", USER_TOKEN_KEY):
            keys.signing_key(name)
        return _token_costs(keys, n) + _field_costs(keys, n)


# The regression bounds the unit tests used to assert, now targets here (µs per call).
TARGETS = {
    "service token: verify (RSA + claims)": 2000.0,
    "service token: verify (remembered)": 100.0,
    "service token: token_for (cached)": 50.0,
    "field: encrypt (AES-256-GCM, 16-char card number)": 200.0,
    "field: decrypt": 200.0,
}


def report(costs: list[Cost]) -> Report:
    result = Report("security")
    table = Table(
        "Security: µs per call (best of 3 rounds)", ["operation", "µs", "baseline", "baseline µs", "ratio"]
    )
    for cost in costs:
        if cost.baseline is None:
            table.add(cost.name, fmt_us(cost.microseconds), "—", "—", "—")
        else:
            table.add(
                cost.name,
                fmt_us(cost.microseconds),
                cost.baseline,
                fmt_us(cost.baseline_microseconds),
                fmt_ratio(cost.ratio),
            )
        bound = TARGETS.get(cost.name)
        if bound is not None:
            measured = fmt_us(cost.microseconds)
            if cost.baseline is not None:
                measured += f" ({fmt_ratio(cost.ratio)} {cost.baseline})"
            result.check(cost.name, f"< {bound:,.0f} µs", measured, cost.microseconds < bound)
    result.tables.append(table)
    return result


def run(quick: bool = False) -> Report:
    return report(measure(QUICK if quick else FULL))
