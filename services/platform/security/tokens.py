"""What service and user tokens share: RS256 signing and a verification that names why a token fails.

Verification follows RFC 8725 and the project's notes: the algorithm is pinned to RS256 before any key is
touched (so `none`, or HS256 keyed with the public key, never reach a signature check), the key is chosen
by `kid` among the keys that may sign this kind of token, `exp`, `iat`, `nbf`, `iss`, `aud`, `jti` and
`sub` are required, audience and issuer are compared exactly, and clocks may disagree by `leeway`.

Every failure is a `TokenRejected` with one of the reasons of the contract's `TokenInvalidReason`
(contracts/openapi/auth.yaml), which auth's validate-token answers and 401 challenges describe.

Verified tokens are remembered (bounded, until their `exp`): a service token is reused for minutes and a
user token for every request of a session, so most verifications become a dictionary lookup instead of
an RSA operation. A remembered token is still refused once it expires or its key is withdrawn.
"""

import base64
import binascii
import enum
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
import orjson
from jwt.exceptions import (
    DecodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidIssuerError,
    InvalidSignatureError,
    InvalidTokenError,
    MissingRequiredClaimError,
)

from .keys import PublicKeySource, SigningKey, VerificationKey, key_owner

__all__ = [
    "ALGORITHM",
    "AUDIENCE",
    "DEFAULT_LEEWAY",
    "MAX_TOKEN_LENGTH",
    "Rs256Verifier",
    "TokenFailure",
    "TokenRejected",
    "VerifiedToken",
    "sign",
    "unverified_header",
    "unverified_key_owner",
]

ALGORITHM = "RS256"
AUDIENCE = "a4co-marketplace"
DEFAULT_LEEWAY = 10.0
"""Seconds of clock skew tolerated on `exp`, `nbf` and `iat`."""
MAX_TOKEN_LENGTH = 8192
"""As the contract's `ValidateTokenRequest.token`; longer strings are not parsed at all."""

_ALWAYS_REQUIRED = ("exp", "iat", "nbf", "iss", "aud", "jti", "sub")
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")


class TokenFailure(enum.StrEnum):
    """Why a token is not valid: the values of the contract's `TokenInvalidReason`."""

    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    BAD_SIGNATURE = "bad_signature"
    WRONG_AUDIENCE = "wrong_audience"
    WRONG_ISSUER = "wrong_issuer"
    ALGORITHM_NOT_ALLOWED = "algorithm_not_allowed"
    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown_key"


class TokenRejected(Exception):  # noqa: N818 - a verdict on the token, not a failure of the verifier
    """The token is not valid; `reason` says why (for answers), `detail` explains it (for logs)."""

    def __init__(self, reason: TokenFailure, detail: str, *, kid: str | None = None) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
        self.kid = kid


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    key: VerificationKey
    claims: Mapping[str, Any]


def sign(claims: Mapping[str, Any], key: SigningKey) -> str:
    """A compact JWS of `claims`, RS256, with the key's `kid` in the header."""
    return jwt.encode(dict(claims), key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})


def unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header of a compact JWS, unverified: only to choose the key and refuse other algorithms.

    Parsed here rather than with `jwt.get_unverified_header`, which checks every character of all three
    segments in Python (tens of microseconds); PyJWT parses and checks the whole token again when it
    verifies the signature.
    """
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
        raise TokenRejected(
            TokenFailure.MALFORMED, "not a JWS compact serialisation of at most 8192 characters"
        )
    segment = token[: token.index(".")]
    if not _SEGMENT.fullmatch(segment) or len(segment) % 4 == 1:
        raise TokenRejected(TokenFailure.MALFORMED, "the header is not base64url")
    try:
        header = orjson.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError):
        raise TokenRejected(TokenFailure.MALFORMED, "the header is not JSON") from None
    if not isinstance(header, dict):
        raise TokenRejected(TokenFailure.MALFORMED, "the header is not a JSON object")
    return header


def unverified_key_owner(token: str) -> str | None:
    """The owner named by the token's `kid`, before any verification: only to choose a verifier."""
    try:
        kid = unverified_header(token).get("kid")
    except TokenRejected:
        return None
    return key_owner(kid) if isinstance(kid, str) else None


# Checked in this order, subclasses before their bases (InvalidSignatureError is a DecodeError).
_REASONS: Sequence[tuple[type[InvalidTokenError], TokenFailure]] = (
    (InvalidSignatureError, TokenFailure.BAD_SIGNATURE),
    (ExpiredSignatureError, TokenFailure.EXPIRED),
    (ImmatureSignatureError, TokenFailure.NOT_YET_VALID),
    (InvalidAudienceError, TokenFailure.WRONG_AUDIENCE),
    (InvalidIssuerError, TokenFailure.WRONG_ISSUER),
    (InvalidAlgorithmError, TokenFailure.ALGORITHM_NOT_ALLOWED),
    (MissingRequiredClaimError, TokenFailure.MALFORMED),
    (DecodeError, TokenFailure.MALFORMED),
)


def _reason(exc: InvalidTokenError) -> TokenFailure:
    for kind, reason in _REASONS:
        if isinstance(exc, kind):
            return reason
    return TokenFailure.MALFORMED


class Rs256Verifier:
    """Verifies RS256 tokens signed by keys that `accepts` among `keys`, for one audience.

    `issuer_for(key)` is the `iss` a token signed by `key` must carry: the key's owner for service tokens
    (a service can only speak for itself), `auth` for user tokens.
    """

    def __init__(
        self,
        keys: PublicKeySource,
        *,
        accepts: Callable[[VerificationKey], bool],
        issuer_for: Callable[[VerificationKey], str],
        audience: str = AUDIENCE,
        leeway: float = DEFAULT_LEEWAY,
        required: Sequence[str] = (),
        cache_size: int = 1024,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys
        self.accepts = accepts
        self.issuer_for = issuer_for
        self.audience = audience
        self.leeway = leeway
        self.required = list(dict.fromkeys((*_ALWAYS_REQUIRED, *required)))
        self.cache_size = cache_size
        self._clock = clock
        self._jwt = jwt.PyJWT()
        self._verified: OrderedDict[str, VerifiedToken] = OrderedDict()

    def verify(self, token: str) -> VerifiedToken:
        """The verified token; raises `TokenRejected`."""
        remembered = self._remembered(token)
        if remembered is not None:
            return remembered
        key = self._key(token)
        try:
            claims = self._jwt.decode(
                token,
                key.public_key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer_for(key),
                leeway=timedelta(seconds=self.leeway),
                options={"require": self.required, "strict_aud": True},
            )
        except InvalidTokenError as exc:
            raise TokenRejected(_reason(exc), str(exc), kid=key.kid) from None
        verified = VerifiedToken(key, claims)
        if self.cache_size > 0:
            self._verified[token] = verified
            if len(self._verified) > self.cache_size:
                self._verified.popitem(last=False)
        return verified

    async def averify(self, token: str) -> VerifiedToken:
        """`verify`, refreshing stale keys first and fetching them again once for an unknown kid."""
        await self.keys.refresh()
        try:
            return self.verify(token)
        except TokenRejected as exc:
            if (
                exc.reason is TokenFailure.UNKNOWN_KEY
                and exc.kid
                and await self.keys.refresh(missing=exc.kid)
            ):
                return self.verify(token)
            raise

    def forget(self) -> None:
        """Drop every remembered verification (after withdrawing a leaked key, for example)."""
        self._verified.clear()

    def _remembered(self, token: str) -> VerifiedToken | None:
        verified = self._verified.get(token)
        if verified is None:
            return None
        still_valid = self._clock() <= verified.claims["exp"] + self.leeway
        if still_valid and self.keys.verification_key(verified.key.kid) is verified.key:
            self._verified.move_to_end(token)
            return verified
        self._verified.pop(token, None)  # verify it again, to fail with the right reason
        return None

    def _key(self, token: str) -> VerificationKey:
        """The key that must have signed `token`, from its header; nothing else of the header is trusted."""
        header = unverified_header(token)
        algorithm = header.get("alg")
        if algorithm != ALGORITHM:
            raise TokenRejected(TokenFailure.ALGORITHM_NOT_ALLOWED, f"alg {algorithm!r} is not {ALGORITHM}")
        if "crit" in header or "b64" in header:
            raise TokenRejected(TokenFailure.MALFORMED, "critical header parameters are not supported")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise TokenRejected(TokenFailure.MALFORMED, "the header names no kid")
        key = self.keys.verification_key(kid)
        if key is None:
            raise TokenRejected(TokenFailure.UNKNOWN_KEY, f"kid {kid!r} names no known key", kid=kid)
        if not self.accepts(key):
            raise TokenRejected(
                TokenFailure.UNKNOWN_KEY, f"kid {kid!r} does not sign this kind of token", kid=kid
            )
        return key
