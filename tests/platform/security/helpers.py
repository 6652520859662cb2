"""Hand-made JWS tokens, for the attacks a well-behaved issuer never produces."""

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from services.platform.security import AUDIENCE, SigningKey


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value: dict[str, Any]) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


def forge(header: dict[str, Any], claims: dict[str, Any], key: rsa.RSAPrivateKey | bytes | None) -> str:
    """A compact JWS: RSA PKCS#1 v1.5 SHA-256 with a private key, HMAC-SHA256 with bytes, none without."""
    signing_input = f"{segment(header)}.{segment(claims)}".encode()
    if key is None:
        signature = b""
    elif isinstance(key, bytes):
        signature = hmac.new(key, signing_input, hashlib.sha256).digest()
    else:
        signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input.decode()}.{b64(signature)}"


def service_claims(issuer: str, target: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": target,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
        "permissions": [],
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def user_claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "auth",
        "sub": str(uuid.uuid4()),
        "aud": AUDIENCE,
        "roles": ["customer"],
        "iat": now,
        "nbf": now,
        "exp": now + 900,
        "jti": str(uuid.uuid4()),
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def rs256(key: SigningKey, claims: dict[str, Any], **header: Any) -> str:
    return forge({"alg": "RS256", "typ": "JWT", "kid": key.kid, **header}, claims, key.private_key)


def public_pem(key: SigningKey) -> bytes:
    return key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def tamper_payload(token: str, **changes: Any) -> str:
    """The same header and signature over a changed payload."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    return f"{header}.{segment(claims)}.{signature}"
