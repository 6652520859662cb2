"""The AsyncAPI document as the platform reads it: channels, messages, operations, JetStream.

The document is walked once and every `$ref` followed, so the lint rules, `a4co contracts show`
and the code generator ask questions ("who sends this message?", "which stream holds this
channel?") of plain frozen dataclasses instead of re-walking YAML. Reading is lenient: a part
that is missing, malformed or behind a broken `$ref` is left out or `None`, and the lint rule
responsible for it reports the problem.

Messages are identified by the location of their definition (normally
`asyncapi.yaml#/components/messages/<Name>`), whatever chain of `$ref`s leads there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from codegen.errors import ContractError
from codegen.model.subjects import address_pattern, covers
from codegen.model.traits import apply_traits

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from codegen.loader import ContractSet, Location, Resolver

__all__ = [
    "AsyncAPIModel",
    "Channel",
    "Consumer",
    "Message",
    "Operation",
    "Stream",
    "read_asyncapi",
]


@dataclass(frozen=True)
class Message:
    """A message definition, and the same with its traits applied."""

    location: Location
    content: Mapping[str, Any]
    effective: Mapping[str, Any]
    traits: tuple[Location, ...] = ()

    @property
    def name(self) -> str:
        """The message's `name`, else the key it is defined under."""
        name = self.effective.get("name")
        return name if isinstance(name, str) else self.location.tokens[-1]


@dataclass(frozen=True)
class Channel:
    """A channel of `channels`, its address and the messages it carries."""

    key: str
    location: Location
    address: str | None
    parameters: frozenset[str] = frozenset()
    messages: tuple[Location, ...] = ()
    private: bool = False

    @property
    def pattern(self) -> str | None:
        """The subject pattern of the address (`dlq.{originalSubject}` is `dlq.>`)."""
        return address_pattern(self.address) if self.address is not None else None


@dataclass(frozen=True)
class Operation:
    """An operation: who sends or receives which messages on which channel."""

    key: str
    location: Location
    action: str | None
    service: str | None
    consumer: str | None
    channel: Location | None
    messages: tuple[Location, ...] = ()
    deprecated: bool = False


@dataclass(frozen=True)
class Stream:
    """A stream of `x-jetstream.streams`."""

    name: str
    location: Location
    subjects: tuple[str, ...]
    config: Mapping[str, Any]
    private: bool = False


@dataclass(frozen=True)
class Consumer:
    """A durable consumer of `x-jetstream.consumers`; no filters means the whole stream."""

    name: str
    location: Location
    stream: str | None
    filters: tuple[str, ...]
    config: Mapping[str, Any]


@dataclass(frozen=True)
class AsyncAPIModel:
    """Everything the AsyncAPI document defines, cross-referenced."""

    channels: dict[Location, Channel] = field(default_factory=dict)
    messages: dict[Location, Message] = field(default_factory=dict)
    operations: dict[str, Operation] = field(default_factory=dict)
    streams: dict[str, Stream] = field(default_factory=dict)
    consumers: dict[str, Consumer] = field(default_factory=dict)

    def operations_of(self, message: Location, action: str) -> list[Operation]:
        """The operations with `action` (`send`/`receive`) that carry `message`."""
        return [op for op in self.operations.values() if op.action == action and message in op.messages]

    def operations_on(self, channel: Location, action: str | None = None) -> list[Operation]:
        """The operations on `channel`, optionally only those with `action`."""
        return [
            op
            for op in self.operations.values()
            if op.channel == channel and (action is None or op.action == action)
        ]

    def streams_of(self, channel: Channel) -> list[Stream]:
        """The streams one of whose subjects covers the channel's whole address pattern."""
        pattern = channel.pattern
        if pattern is None:
            return []
        return [
            stream
            for stream in self.streams.values()
            if any(covers(subject, pattern) for subject in stream.subjects)
        ]

    def services(self) -> list[str]:
        """Every service named by an operation, sorted."""
        return sorted({op.service for op in self.operations.values() if op.service})


def read_asyncapi(contracts: ContractSet) -> AsyncAPIModel:
    """Read the AsyncAPI document of `contracts` into an `AsyncAPIModel`."""
    return _Reader(contracts.resolver, contracts.asyncapi.location, contracts.asyncapi.content).read()


class _Reader:
    def __init__(self, resolver: Resolver, root: Location, document: Any) -> None:
        self.resolver = resolver
        self.root = root
        self.document = document if isinstance(document, dict) else {}
        self.model = AsyncAPIModel()

    def read(self) -> AsyncAPIModel:
        for key, location in _members(self.document, self.root, "components", "messages"):
            self.message(location, key)
        for key, location in _members(self.document, self.root, "channels"):
            self.channel(key, location)
        for key, location in _members(self.document, self.root, "operations"):
            self.operation(key, location)
        jetstream = self.document.get("x-jetstream")
        jetstream = jetstream if isinstance(jetstream, dict) else {}
        for name, location in _members(self.document, self.root, "x-jetstream", "streams"):
            self.stream(name, location, jetstream["streams"][name])
        for name, location in _members(self.document, self.root, "x-jetstream", "consumers"):
            self.consumer(name, location, jetstream["consumers"][name])
        return self.model

    def deref(self, location: Location) -> tuple[Any, Location] | None:
        try:
            return self.resolver.deref_location(location)
        except ContractError:
            return None

    def message(self, location: Location, _key: str) -> Location | None:
        found = self.deref(location)
        if found is None or not isinstance(found[0], dict):
            return None
        content, at = found
        if at not in self.model.messages:
            traits: list[dict[str, Any]] = []
            trait_locations: list[Location] = []
            raw_traits = content.get("traits")
            if isinstance(raw_traits, list):
                for index in range(len(raw_traits)):
                    trait = self.deref(at.child("traits", index))
                    if trait is not None and isinstance(trait[0], dict):
                        traits.append(trait[0])
                        trait_locations.append(trait[1])
            effective = apply_traits(content, traits)
            self.model.messages[at] = Message(at, content, effective, tuple(trait_locations))
        return at

    def channel(self, key: str, location: Location) -> None:
        found = self.deref(location)
        if found is None or not isinstance(found[0], dict):
            return
        content, at = found
        address = content.get("address")
        parameters = content.get("parameters")
        messages = [
            message
            for name, message_location in _members(content, at, "messages")
            if (message := self.message(message_location, name)) is not None
        ]
        self.model.channels[at] = Channel(
            key=key,
            location=at,
            address=address if isinstance(address, str) else None,
            parameters=frozenset(parameters) if isinstance(parameters, dict) else frozenset(),
            messages=tuple(messages),
            private=content.get("x-a4co-private") is True,
        )

    def operation(self, key: str, location: Location) -> None:
        found = self.deref(location)
        if found is None or not isinstance(found[0], dict):
            return
        content, at = found
        channel: Location | None = None
        if isinstance(content.get("channel"), dict):
            target = self.deref(at.child("channel"))
            channel = target[1] if target is not None else None
        messages: list[Location] = []
        if isinstance(content.get("messages"), list):
            for index in range(len(content["messages"])):
                message = self.message(at.child("messages", index), key)
                if message is not None:
                    messages.append(message)
        elif channel is not None and channel in self.model.channels:
            messages = list(self.model.channels[channel].messages)
        self.model.operations[key] = Operation(
            key=key,
            location=at,
            action=_string(content.get("action")),
            service=_string(content.get("x-a4co-service")),
            consumer=_string(content.get("x-a4co-consumer")),
            channel=channel,
            messages=tuple(messages),
            deprecated=content.get("deprecated") is True,
        )

    def stream(self, name: str, location: Location, content: Any) -> None:
        config = content if isinstance(content, dict) else {}
        self.model.streams[name] = Stream(
            name=name,
            location=location,
            subjects=_strings(config.get("subjects")),
            config=config,
            private=config.get("x-a4co-private") is True,
        )

    def consumer(self, name: str, location: Location, content: Any) -> None:
        config = content if isinstance(content, dict) else {}
        filters = _strings(config.get("filter_subjects"))
        single = config.get("filter_subject")
        if isinstance(single, str) and single:
            filters = (single, *filters)
        self.model.consumers[name] = Consumer(
            name=name,
            location=location,
            stream=_string(config.get("stream")),
            filters=filters,
            config=config,
        )


def _members(document: Any, at: Location, *path: str) -> Iterator[tuple[str, Location]]:
    """The keys of the map at `path` under `document`, with their locations."""
    node = document
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, dict):
        base = at.child(*path)
        for key in node:
            yield key, base.child(key)


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(item for item in value if isinstance(item, str))
    return ()
