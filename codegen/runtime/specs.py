"""What the contract says about channels, messages, operations, streams and consumers, as data.

The generator writes one instance per contract element (`channels.py`, `streams.py`); the runtime reads
them. Durations are seconds.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel

__all__ = [
    "ChannelSpec",
    "ConsumerSpec",
    "HeaderRole",
    "MessageSpec",
    "OperationSpec",
    "StreamSpec",
    "filter_subject",
]

P_co = TypeVar("P_co", bound=BaseModel, covariant=True)

HeaderRole = Literal[
    "message-id",
    "message-name",
    "schema-version",
    "aggregate-type",
    "aggregate-id",
    "occurred-at",
    "correlation-id",
    "causation-id",
    "producer",
    "traceparent",
    "tracestate",
]


@dataclass(frozen=True, slots=True)
class MessageSpec(Generic[P_co]):
    """A message of a channel: its payload model, header layout and envelope facts."""

    name: str
    payload: type[P_co]
    headers: type[BaseModel] | None
    header_roles: Mapping[HeaderRole, str]
    """Which header carries which envelope role (header names are the contract's)."""
    event_name: str
    version: int
    kind: Literal["event", "command"] = "event"
    aggregate_type: str | None = None
    aggregate_id_field: str | None = None
    """Python attribute of the payload holding the aggregate id."""
    content_type: str = "application/json"
    sensitive: Mapping[tuple[str, ...], str] = field(default_factory=dict)
    """Wire paths of sensitive leaves ("*" for every array element) and their class (pii, pci)."""


def filter_subject(address: str, parameters: tuple[str, ...]) -> str:
    """A parameter is one token (`*`), except a last one, which may hold dots (`>`)."""
    subject = address
    for name in parameters:
        wildcard = ">" if subject.endswith("{" + name + "}") else "*"
        subject = subject.replace("{" + name + "}", wildcard)
    return subject


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """A channel: its subject (with `{parameters}`), messages, stream and owner."""

    id: str
    address: str
    messages: tuple[MessageSpec[BaseModel], ...]
    stream: str
    sender: str | None
    parameters: tuple[str, ...] = ()
    compatibility: Literal["full", "backward", "forward", "none"] = "full"

    def subject(self, **params: str) -> str:
        """The concrete subject for the given parameter values."""
        missing = set(self.parameters) - params.keys()
        if missing:
            raise ValueError(f"channel {self.address!r} needs parameters {sorted(missing)}")
        subject = self.address
        for i, name in enumerate(self.parameters):
            value = params[name]
            last = i == len(self.parameters) - 1 and subject.endswith("{" + name + "}")
            if not value or any(c in value for c in " *>") or (not last and "." in value):
                raise ValueError(f"{value!r} is not a valid value for parameter {name!r}")
            subject = subject.replace("{" + name + "}", value)
        return subject

    @property
    def filter_subject(self) -> str:
        """The subject pattern matching every message of the channel."""
        return filter_subject(self.address, self.parameters)

    def message(self, name: str) -> MessageSpec[BaseModel]:
        for message in self.messages:
            if message.name == name:
                return message
        raise KeyError(f"channel {self.address!r} has no message {name!r}")


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """A JetStream stream as the contract defines it (field names of the JetStream API)."""

    name: str
    subjects: tuple[str, ...]
    retention: Literal["limits", "interest", "workqueue"] = "limits"
    storage: Literal["file", "memory"] = "file"
    num_replicas: int = 1
    max_msgs: int = -1
    max_bytes: int = -1
    max_age: float = 0.0
    max_msg_size: int = -1
    max_msgs_per_subject: int = -1
    duplicate_window: float | None = None
    discard: Literal["old", "new"] = "old"
    deny_delete: bool = False
    allow_direct: bool | None = None
    """Direct gets (reads served by any replica, batched): event stores load aggregates with them.
    None leaves the server's default."""
    description: str | None = None
    private: bool = False
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class ConsumerSpec:
    """A durable pull consumer as the contract defines it."""

    name: str
    stream: str
    filter_subjects: tuple[str, ...] = ()
    ack_policy: Literal["explicit", "all", "none"] = "explicit"
    deliver_policy: Literal["all", "new", "last", "last_per_subject"] = "all"
    max_deliver: int = -1
    ack_wait: float | None = None
    backoff: tuple[float, ...] = ()
    max_ack_pending: int | None = None
    description: str | None = None

    def retry_delay(self, attempt: int) -> float:
        """Delay before delivery `attempt + 1`, following the contract's backoff (attempt counts from 1)."""
        if self.backoff:
            return self.backoff[min(attempt, len(self.backoff)) - 1]
        return float(min(2 ** (attempt - 1), 30))


@dataclass(frozen=True, slots=True)
class OperationSpec:
    """A send or receive operation of one service."""

    id: str
    action: Literal["send", "receive"]
    service: str
    channel: ChannelSpec
    messages: tuple[MessageSpec[BaseModel], ...]
    consumer: ConsumerSpec | None = None
    deprecated: bool = False
