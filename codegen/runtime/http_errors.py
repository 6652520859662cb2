# ruff: noqa: N818 - the classes are named after the HTTP statuses, as the contracts' error table names them
"""The exceptions a generated HTTP client raises: one class per status the contracts use.

    ApiError                   (errors.py) any failed HTTP call
     └── HttpError             a response arrived (or, for TransportError, did not); problem, request id
          ├── BadRequest             400  a parameter or the body is malformed (`errors[].parameter`)
          ├── Unauthorized           401  no token, or a token that is not valid
          ├── Forbidden              403  a valid token that is not allowed to do this
          ├── NotFound               404
          ├── Conflict               409  the resource's state forbids the request
          ├── UnprocessableContent   422  well-formed body that violates its schema (`errors[].pointer`)
          ├── TooManyRequests        429  rate limited; `retry_after` seconds
          ├── ServerError            any other 5xx
          │    ├── ServiceUnavailable   503  `retry_after` seconds
          │    └── GatewayTimeout       504
          ├── UnexpectedResponse     a status or body the contract does not document
          └── TransportError         status 0: no response (connection failed, timed out)
               └── TransportTimeout

Statuses map to classes whether or not the operation documents them, so `except NotFound` is reliable
even when a proxy answers. `problem` holds the decoded problem+json (RFC 9457) object, or `{}`.
"""

import email.utils
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .errors import ApiError

__all__ = [
    "BadRequest",
    "Conflict",
    "Forbidden",
    "GatewayTimeout",
    "HttpError",
    "NotFound",
    "ServerError",
    "ServiceUnavailable",
    "TooManyRequests",
    "TransportError",
    "TransportTimeout",
    "Unauthorized",
    "UnexpectedResponse",
    "UnprocessableContent",
    "error_for_status",
]


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delay-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class HttpError(ApiError):
    """An HTTP call failed; what the server said about it, if anything."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        problem: Mapping[str, Any] | None = None,
        operation: str = "",
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, status=status, problem=dict(problem or {}))
        self.operation = operation
        self.request_id = request_id
        self.headers: Mapping[str, str] = {k.lower(): v for k, v in (headers or {}).items()}
        """Response headers, names in lower case."""
        self.retry_after = parse_retry_after(self.headers.get("retry-after"))

    @property
    def title(self) -> str | None:
        value = self.problem.get("title")
        return value if isinstance(value, str) else None

    @property
    def detail(self) -> str | None:
        value = self.problem.get("detail")
        return value if isinstance(value, str) else None

    @property
    def type(self) -> str | None:
        value = self.problem.get("type")
        return value if isinstance(value, str) else None

    @property
    def errors(self) -> list[dict[str, Any]]:
        """`errors` of the problem: `{"parameter"|"pointer": ..., "message": ...}` entries."""
        value = self.problem.get("errors")
        return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


class BadRequest(HttpError):
    """400: a parameter or the body is malformed."""


class Unauthorized(HttpError):
    """401: no token, or a token that is expired, badly signed or for another audience."""


class Forbidden(HttpError):
    """403: a valid token that is not allowed to do this."""


class NotFound(HttpError):
    """404: the resource does not exist (or is not visible to the caller)."""


class Conflict(HttpError):
    """409: the resource's current state forbids the request."""


class UnprocessableContent(HttpError):
    """422: a well-formed body that violates its schema or a business rule."""


class TooManyRequests(HttpError):
    """429: rate limited; wait `retry_after` seconds."""


class ServerError(HttpError):
    """5xx: the server failed."""


class ServiceUnavailable(ServerError):
    """503: the service cannot answer now; wait `retry_after` seconds."""


class GatewayTimeout(ServerError):
    """504: a downstream call ran out of time."""


class UnexpectedResponse(HttpError):
    """A status, media type or body that the contract does not document for the operation."""


class TransportError(HttpError):
    """No response: the connection failed or was lost (status 0)."""

    def __init__(self, message: str, *, operation: str = "") -> None:
        super().__init__(message, status=0, operation=operation)


class TransportTimeout(TransportError):
    """No response within the timeout (connect, write, read or pool)."""


_BY_STATUS: Mapping[int, type[HttpError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: UnprocessableContent,
    429: TooManyRequests,
    503: ServiceUnavailable,
    504: GatewayTimeout,
}


def error_for_status(status: int) -> type[HttpError]:
    """The exception class of a non-2xx status."""
    cls = _BY_STATUS.get(status)
    if cls is not None:
        return cls
    return ServerError if status >= 500 else HttpError
