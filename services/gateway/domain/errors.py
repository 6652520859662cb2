# ruff: noqa: N818 - each class names the answer (NotFound, Forbidden), as the contract's table does
"""The gateway's refusals, one class per documented problem (contracts/openapi/components.yaml's table).

Use cases and adapters raise these; the HTTP edge turns each into its problem+json answer in one place
(`services.gateway.adapters.problems`), so no code path can answer an undocumented status by accident.
"""

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

__all__ = [
    "Forbidden",
    "GatewayError",
    "IdempotencyKeyReused",
    "MalformedRequest",
    "NotFound",
    "OrderStateConflict",
    "RateLimited",
    "TimedOut",
    "Unauthenticated",
    "Unavailable",
    "ValidationFailed",
]

_PROBLEMS = "https://a4co.example/problems/"


class GatewayError(Exception):
    """A request the gateway answers with a problem; `detail` explains this occurrence to the client."""

    status: ClassVar[int] = 500
    kind: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"

    def __init__(
        self,
        detail: str,
        *,
        retry_after: int | None = None,
        errors: Sequence[Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after
        self.errors = list(errors)
        self.headers = dict(headers or {})

    @property
    def type(self) -> str:
        return _PROBLEMS + self.kind


class MalformedRequest(GatewayError):
    status, kind, title = 400, "malformed-request", "Malformed request"


class Unauthenticated(GatewayError):
    """No token, or one auth did not accept; carries the RFC 6750 challenge."""

    status, kind, title = 401, "unauthorized", "Unauthorized"


class Forbidden(GatewayError):
    status, kind, title = 403, "forbidden", "Forbidden"


class NotFound(GatewayError):
    status, kind, title = 404, "not-found", "Not found"


class OrderStateConflict(GatewayError):
    status, kind, title = 409, "order-state-conflict", "The order's state forbids this change"


class IdempotencyKeyReused(GatewayError):
    status, kind, title = 409, "idempotency-key-reused", "Idempotency-Key reused"


class ValidationFailed(GatewayError):
    status, kind, title = 422, "validation-failed", "Validation failed"


class RateLimited(GatewayError):
    status, kind, title = 429, "rate-limited", "Too many requests"


class Unavailable(GatewayError):
    """A downstream service, its circuit, JetStream or Redis cannot serve the request now."""

    status, kind, title = 503, "service-unavailable", "Service unavailable"


class TimedOut(GatewayError):
    """A downstream call (or JetStream's acknowledgement) ran out of its time budget."""

    status, kind, title = 504, "downstream-timeout", "Downstream timeout"
