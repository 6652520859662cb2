"""The intermediate model: what the templates need to know, with every `$ref` already followed.

The parser builds it from the contract files; each template reads it and nothing else. Names are the
contract's; `ModelRef` points at a generated pydantic model by module (bounded context) and class.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Api",
    "Channel",
    "Consumer",
    "HttpBody",
    "HttpDocument",
    "HttpOperation",
    "HttpParameter",
    "HttpResponse",
    "Message",
    "ModelRef",
    "NamedSchema",
    "Operation",
    "Stream",
    "TypeExpr",
]


@dataclass(frozen=True, order=True, slots=True)
class ModelRef:
    """A generated model: `<package>.models.<module>.<name>`."""

    module: str
    name: str

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass(frozen=True, slots=True)
class NamedSchema:
    """A schema that becomes a model class, with the JSON Schema handed to datamodel-code-generator."""

    ref: ModelRef
    schema: dict[str, Any]
    origin: str
    """`file#pointer` the schema was read from, for error messages."""
    kind: Literal["object", "enum", "union", "other"]


@dataclass(frozen=True, slots=True)
class TypeExpr:
    """A Python type as source text, plus the models it needs imported."""

    source: str
    models: tuple[ModelRef, ...] = ()
    stdlib: tuple[str, ...] = ()
    """Imports such as `uuid.UUID`, `datetime.datetime`, `decimal.Decimal`."""


@dataclass(frozen=True, slots=True)
class Message:
    name: str
    title: str
    summary: str
    payload: ModelRef
    headers: ModelRef | None
    header_roles: dict[str, str]
    """Envelope role -> header name."""
    event_name: str
    version: int
    kind: Literal["event", "command"]
    aggregate_type: str | None
    aggregate_id_field: str | None
    """Python attribute name of the payload field holding the aggregate id."""
    content_type: str
    sensitive: dict[tuple[str, ...], str]
    """Wire path of each sensitive leaf -> classification."""
    examples: list[dict[str, Any]]
    origin: str


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    address: str
    parameters: tuple[str, ...]
    messages: tuple[Message, ...]
    stream: str | None
    sender: str | None
    compatibility: Literal["full", "backward", "forward", "none"]
    title: str
    summary: str


@dataclass(frozen=True, slots=True)
class Stream:
    name: str
    config: dict[str, Any]
    """JetStream API field names; durations already in seconds."""
    private: bool
    owner: str | None


@dataclass(frozen=True, slots=True)
class Consumer:
    name: str
    stream: str
    config: dict[str, Any]
    """JetStream API field names; durations in seconds, filter subjects as a tuple."""


@dataclass(frozen=True, slots=True)
class Operation:
    id: str
    action: Literal["send", "receive"]
    service: str
    channel: Channel
    messages: tuple[Message, ...]
    consumer: Consumer | None
    deprecated: bool
    summary: str


@dataclass(frozen=True, slots=True)
class HttpParameter:
    name: str
    """The wire name (`productId`, `Idempotency-Key`)."""
    python_name: str
    location: Literal["path", "query", "header", "cookie"]
    required: bool
    type: TypeExpr
    schema: dict[str, Any]
    """Resolved JSON Schema, used to validate and coerce the raw string."""
    default: Any
    description: str


@dataclass(frozen=True, slots=True)
class HttpBody:
    content_type: str
    type: TypeExpr
    required: bool


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: str
    """`200`, `404`, or `default`."""
    description: str
    content_type: str | None
    type: TypeExpr | None
    headers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HttpOperation:
    id: str
    python_name: str
    method: str
    path: str
    summary: str
    tags: tuple[str, ...]
    parameters: tuple[HttpParameter, ...]
    body: HttpBody | None
    responses: tuple[HttpResponse, ...]
    security: tuple[tuple[str, ...], ...]
    """Alternatives, each a set of scheme names; `()` means public."""
    sla_ms: int | None
    deprecated: bool

    @property
    def success(self) -> HttpResponse | None:
        """The first documented 2xx response."""
        return next((r for r in self.responses if r.status.startswith("2")), None)


@dataclass(frozen=True, slots=True)
class HttpDocument:
    service: str
    title: str
    version: str
    file: str
    operations: tuple[HttpOperation, ...]
    security_schemes: dict[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Api:
    """Everything the contracts define."""

    title: str
    version: str
    package: str
    schemas: tuple[NamedSchema, ...]
    channels: tuple[Channel, ...]
    operations: tuple[Operation, ...]
    streams: tuple[Stream, ...]
    consumers: tuple[Consumer, ...]
    http: tuple[HttpDocument, ...]
    decimal_fields: dict[str, str] = field(default_factory=dict)
    """`Model.field` -> pattern (or "") for decimal-string fields."""
    uri_fields: tuple[str, ...] = ()

    @property
    def services(self) -> tuple[str, ...]:
        names = {op.service for op in self.operations} | {doc.service for doc in self.http}
        return tuple(sorted(names))

    def operations_of(self, service: str) -> tuple[Operation, ...]:
        return tuple(op for op in self.operations if op.service == service)
