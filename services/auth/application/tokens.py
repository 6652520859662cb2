"""The auth service's use cases: the verdict on a user token, and the keys user tokens are signed with.

An invalid token is not an error of validate-token: it is answered 200 with `valid: false` and the
contract's reason, so the gateway can tell the client why (401 with `WWW-Authenticate`) without parsing
the token itself. The token is never logged, here or by the verifier.
"""

from a4co_sdk.models import auth
from services.platform.security import (
    USER_TOKEN_KEY,
    KeyStore,
    TokenFailure,
    TokenRejected,
    UserTokenVerifier,
)

__all__ = ["ROLES", "signing_keys", "validate_token"]

ROLES = frozenset(role.value for role in auth.UserRole)
"""The roles the contract knows; auth never signs others, so a token with another role is not ours."""

_DETAIL_LENGTH = 500


def _invalid(reason: TokenFailure, detail: str) -> auth.TokenValidation:
    return auth.TokenValidation(
        auth.InvalidToken(
            valid=False, reason=auth.TokenInvalidReason(reason.value), detail=detail[:_DETAIL_LENGTH]
        )
    )


async def validate_token(token: str, verifier: UserTokenVerifier) -> auth.TokenValidation:
    """`ValidToken` with the claims the gateway needs, or `InvalidToken` with the reason."""
    try:
        user = await verifier.averify(token)
    except TokenRejected as exc:
        return _invalid(exc.reason, exc.detail)
    unknown = sorted(user.roles - ROLES)
    if unknown:
        return _invalid(
            TokenFailure.MALFORMED, f"roles {', '.join(unknown)} are not roles of the marketplace"
        )
    return auth.TokenValidation(
        auth.ValidToken(
            valid=True,
            user_id=user.user_id,
            roles=[auth.UserRole(role) for role in sorted(user.roles)],
            issuer=user.issuer,
            token_id=user.token_id,
            expires_at=user.expires_at,
        )
    )


def signing_keys(keys: KeyStore) -> auth.JsonWebKeySet:
    """Every public user-token key still trusted, newest first (the previous one stays during a rotation)."""
    return auth.JsonWebKeySet.model_validate(keys.jwks([USER_TOKEN_KEY]))
