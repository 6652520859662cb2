"""What the contract says about each HTTP operation, as data shared by the generated client and server.

The generator writes one `EndpointSpec` per operation (`<package>.endpoints.<service>`); the client
serialises calls from it and the server validates requests against it, so both sides follow one table.
`EndpointSpec[R]` carries the Python type of the success body (`R`) for type checkers only.

The request id of the HTTP request being served lives here too: the server sets it, the client forwards
it as `X-Request-Id` on the calls the handler makes.
"""

import enum
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

__all__ = [
    "BodySpec",
    "EndpointSpec",
    "ParameterSpec",
    "ResponseSpec",
    "SecurityRequirement",
    "current_request_id",
    "use_request_id",
    "wire_text",
]

R = TypeVar("R")

SecurityRequirement = Mapping[str, tuple[str, ...]]
"""One way to authorize a call: security scheme name -> scopes (roles, for bearer schemes)."""


@dataclass(frozen=True, slots=True)
class ParameterSpec:
    """A path, query or header parameter."""

    name: str
    """Wire name, as in the contract."""
    python_name: str
    location: Literal["path", "query", "header"]
    required: bool
    annotation: Any
    """`str`, `int`, `float`, `bool`, `UUID`, `datetime`, `date`, `Decimal`, an enum, or a list of one."""
    schema: Mapping[str, Any]
    """JSON Schema validation keywords of the parameter (`minimum`, `pattern`, `items`...)."""
    default: Any = None
    """The contract's default, applied by the server when the parameter is absent (None: no default)."""
    explode: bool = True


@dataclass(frozen=True, slots=True)
class BodySpec:
    """A JSON request body."""

    annotation: Any
    content_type: str = "application/json"
    required: bool = True


@dataclass(frozen=True, slots=True)
class ResponseSpec:
    """A documented response: status (`200`, `4XX`, `default`), body type (None: no content), media type."""

    status: str
    annotation: Any = None
    content_type: str | None = None
    headers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EndpointSpec(Generic[R]):
    """One HTTP operation; `R` is the type the client returns on success (a union when several 2xx)."""

    id: str
    method: str
    path: str
    python_name: str
    parameters: tuple[ParameterSpec, ...] = ()
    body: BodySpec | None = None
    responses: tuple[ResponseSpec, ...] = ()
    security: tuple[SecurityRequirement, ...] = ()
    """Alternatives; `()` means public."""
    sla_ms: int | None = None
    deprecated: bool = False
    summary: str = ""
    extensions: Mapping[str, Any] = field(default_factory=dict)
    """The operation's `x-*` members as written in the contract."""

    def response_for(self, status: int) -> ResponseSpec | None:
        """The documented response for `status`: its code, else its range (`4XX`), else `default`."""
        documented = {response.status: response for response in self.responses}
        return (
            documented.get(str(status)) or documented.get(f"{status // 100}XX") or documented.get("default")
        )

    @property
    def successes(self) -> tuple[ResponseSpec, ...]:
        return tuple(r for r in self.responses if r.status.startswith("2"))


_request_id: ContextVar[str | None] = ContextVar("http_request_id", default=None)


def current_request_id() -> str | None:
    """The `X-Request-Id` of the HTTP request being served, if any."""
    return _request_id.get()


@contextmanager
def use_request_id(request_id: str) -> Iterator[str]:
    token = _request_id.set(request_id)
    try:
        yield request_id
    finally:
        _request_id.reset(token)


def wire_text(value: Any) -> str:
    """A parameter value as the contract writes it on the wire (`true`, `9.80`, RFC 3339 times)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return wire_text(value.value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
