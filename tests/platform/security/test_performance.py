"""What makes the hot paths cheap, checked for correctness (the costs are measured in `bench/`).

A remembered service token is authenticated without waiting for anything, the issuer hands out the
same token until it must sign a new one, a remembered verification answers what a full one answered,
and a whole message survives field encryption both ways. How long each takes, beside PyJWT and bare
AES-GCM, is `python -m bench --only security`.
"""

from typing import Any

from starlette.requests import Request

from a4co_sdk._runtime.sensitive import transform_fields
from a4co_sdk.endpoints import auth as auth_endpoints
from services.platform.security import (
    AesGcmFieldCipher,
    KeyStore,
    RequestAuthenticator,
    ServiceTokenIssuer,
    ServiceTokenVerifier,
)

from .test_field_cipher import SPEC, _card, _wire


def _request(token: str) -> Request:
    return Request(
        {
            "type": "http",
            "method": "POST",
            "path": "/",
            "headers": [(b"authorization", f"Bearer {token}".encode())],
            "query_string": b"",
        }
    )


def test_a_remembered_service_token_is_authenticated_without_waiting(keystore: KeyStore) -> None:
    token = ServiceTokenIssuer("gateway", keystore).issue("auth")
    authenticator = RequestAuthenticator(services=ServiceTokenVerifier("auth", keystore))
    endpoint = auth_endpoints.VALIDATE_TOKEN
    for _ in range(2):  # the first verifies the signature, the second remembers it
        coroutine = authenticator.authenticate(_request(token), endpoint.security, endpoint)
        try:
            coroutine.send(None)
        except StopIteration as done:
            principal: Any = done.value
        else:
            coroutine.close()
            raise AssertionError("authenticate() waited for something")
    assert principal.service == "gateway"


def test_token_for_signs_once_and_a_remembered_verification_matches_a_full_one(keystore: KeyStore) -> None:
    issuer = ServiceTokenIssuer("gateway", keystore)
    tokens = {issuer.token_for("auth") for _ in range(100)}
    assert len(tokens) == 1
    assert issuer.issued == 1
    (token,) = tokens
    full = ServiceTokenVerifier("auth", keystore, cache_size=0)
    remembering = ServiceTokenVerifier("auth", keystore)
    first = remembering.verify(token)
    assert remembering.verify(token) == first == full.verify(token)


def test_a_message_survives_field_encryption_both_ways(tmp_path: Any) -> None:
    cipher = AesGcmFieldCipher.for_service("payment", KeyStore(tmp_path))
    document = _wire(_card())
    copy = {**document, "paymentMethod": dict(document["paymentMethod"])}
    transform_fields(
        copy, SPEC.sensitive, lambda v, p, c: cipher.encrypt(v, path=p, classification=c, message=SPEC.name)
    )
    assert copy["paymentMethod"]["cardNumber"] != document["paymentMethod"]["cardNumber"]
    assert copy["customerEmail"] != document["customerEmail"]
    transform_fields(
        copy, SPEC.sensitive, lambda v, p, c: cipher.decrypt(v, path=p, classification=c, message=SPEC.name)
    )
    assert copy == document
