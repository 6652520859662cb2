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
    "SecurityRequirement",
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


SecurityRequirement = dict[str, tuple[str, ...]]
"""One way to authorize a call: security scheme name -> scopes (for bearer schemes, the roles needed)."""


@dataclass(frozen=True, slots=True)
class HttpParameter:
    name: str
    """The wire name (`productId`, `Idempotency-Key`)."""
    python_name: str
    location: Literal["path", "query", "header"]
    required: bool
    type: TypeExpr
    """The type handlers and callers see: a scalar, an enum model, or a list of either."""
    schema: dict[str, Any]
    """Resolved JSON Schema (validation keywords only, no `$ref`), used to validate the raw string."""
    default: Any
    """The schema's default (applied by the server when the parameter is absent), or None."""
    description: str
    explode: bool = True
    """For arrays: repeated `name=a&name=b` (True) or one comma-separated value (False)."""


@dataclass(frozen=True, slots=True)
class HttpBody:
    content_type: str
    type: TypeExpr
    required: bool


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: str
    """`200`, `404`, `4XX`, or `default`."""
    description: str
    content_type: str | None
    type: TypeExpr | None
    """None when the response has no content."""
    headers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HttpOperation:
    id: str
    python_name: str
    method: str
    """Upper case: `GET`, `POST`."""
    path: str
    summary: str
    tags: tuple[str, ...]
    parameters: tuple[HttpParameter, ...]
    body: HttpBody | None
    responses: tuple[HttpResponse, ...]
    security: tuple[SecurityRequirement, ...]
    """Alternatives (any one suffices); `()` means public. An empty requirement allows anonymous calls."""
    sla_ms: int | None
    deprecated: bool
    extensions: dict[str, Any] = field(default_factory=dict)
    """The operation's `x-*` members, as written, for authenticators and tooling (`x-...-callers`)."""

    @property
    def success(self) -> HttpResponse | None:
        """The first documented 2xx response."""
        return next((r for r in self.responses if r.status.startswith("2")), None)

    @property
    def successes(self) -> tuple[HttpResponse, ...]:
        """Every documented 2xx response, in document order."""
        return tuple(r for r in self.responses if r.status.startswith("2"))


@dataclass(frozen=True, slots=True)
class HttpDocument:
    service: str
    title: str
    version: str
    file: str
    operations: tuple[HttpOperation, ...]
    security_schemes: dict[str, dict[str, Any]]
    """Every scheme of `components.securitySchemes`, `$ref`s followed, descriptions dropped."""


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
