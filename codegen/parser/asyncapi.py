"""Channels, messages and operations of an AsyncAPI 3 document.

Handled: `$ref` across files, message traits (merged so that the message's own fields win, as AsyncAPI
says traits must not override), several messages per channel, channel parameters, headers, correlation
ids, and payloads that are `oneOf` unions. Request/reply (`reply`) and non-JSON schema formats are
refused with the file and JSON pointer, never half-generated.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from codegen.ir import Channel, Consumer, Message, Operation, Stream
from codegen.loader.location import Location
from codegen.loader.resolver import Resolver
from codegen.model.subjects import address_pattern, covers
from codegen.parser.schemas import SchemaRegistry, UnsupportedConstructError, python_identifier
from codegen.runtime.specs import filter_subject

__all__ = ["AsyncApiParts", "parse_asyncapi"]

_VERSION = re.compile(r"\.v([1-9][0-9]*)$")
_PARAM = re.compile(r"\{([^}]+)\}")
_JSON_SCHEMA_FORMATS = re.compile(
    r"^application/(vnd\.aai\.asyncapi(\+json|\+yaml)?(;version=[0-9.]+)?|schema(\+json|\+yaml)?(;version=draft-0?7)?)$"
)
_ROLES = {
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
}


@dataclass
class AsyncApiParts:
    title: str
    version: str
    channels: list[Channel] = field(default_factory=list)
    operations: list[Operation] = field(default_factory=list)


def _merge(base: dict[str, Any], trait: dict[str, Any]) -> dict[str, Any]:
    """Apply a trait to a message or operation: fields already there win, nested objects merge."""
    out = dict(base)
    for key, value in trait.items():
        if key not in out:
            out[key] = copy.deepcopy(value)
        elif isinstance(out[key], dict) and isinstance(value, dict) and "$ref" not in out[key]:
            out[key] = _merge(out[key], value)
    return out


class _Parser:
    def __init__(
        self,
        resolver: Resolver,
        file: str,
        registry: SchemaRegistry,
        streams: tuple[Stream, ...],
        consumers: tuple[Consumer, ...],
    ) -> None:
        self.resolver = resolver
        self.file = file
        self.document: dict[str, Any] = resolver.document(file)
        self.registry = registry
        self.streams = streams
        self.consumers = {c.name: c for c in consumers}
        self.default_content_type = self.document.get("defaultContentType", "application/json")
        self._messages: dict[Location, Message] = {}

    def fail(self, message: str, at: Location) -> UnsupportedConstructError:
        return UnsupportedConstructError(message, file=at.file, pointer=at.pointer)

    # -- traits ---------------------------------------------------------------------------------------

    def _with_traits(self, node: dict[str, Any], at: Location) -> dict[str, Any]:
        merged = {k: v for k, v in node.items() if k != "traits"}
        for i, trait_node in enumerate(node.get("traits") or []):
            trait, _ = self.resolver.deref(trait_node, at.child("traits", i))
            if not isinstance(trait, dict):
                raise self.fail("a trait must be an object", at.child("traits", i))
            merged = _merge(merged, trait)
        return merged

    # -- messages -------------------------------------------------------------------------------------

    def message(
        self, node: Any, at: Location, *, key: str, address: str | None, parameters: tuple[str, ...]
    ) -> Message:
        node, at = self.resolver.deref(node, at)
        if at in self._messages:
            return self._messages[at]
        if not isinstance(node, dict):
            raise self.fail("a message must be an object", at)
        message = self._with_traits(node, at)
        name = str(message.get("name") or key)
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
            raise self.fail(f"message name {name!r} is not a valid class name", at)
        name = name[0].upper() + name[1:]
        schema_format = message.get("schemaFormat")
        if schema_format and not _JSON_SCHEMA_FORMATS.match(str(schema_format)):
            raise self.fail(
                f"schemaFormat {schema_format!r} is not supported (only JSON Schema payloads)", at
            )
        content_type = str(message.get("contentType") or self.default_content_type)
        if "json" not in content_type:
            raise self.fail(f"contentType {content_type!r} is not supported (only JSON)", at)
        if "payload" not in message:
            raise self.fail("a message needs a payload schema", at)
        payload_at = self._origin(node, at, "payload")
        payload = self.registry.model_for(
            message["payload"], payload_at, name_hint=f"{name}Payload", module="messages"
        )
        payload_schema, _ = self.resolver.deref(message["payload"], payload_at)
        if isinstance(payload_schema, dict) and payload_schema.get("type") not in (None, "object"):
            raise self.fail("a payload must be an object schema (or a union of object schemas)", payload_at)
        headers = None
        roles: dict[str, str] = {}
        if "headers" in message:
            headers_at = self._origin(node, at, "headers")
            headers = self.registry.model_for(
                message["headers"], headers_at, name_hint=f"{name}Headers", module="messages"
            )
            roles = self._header_roles(message["headers"], headers_at)
        correlation = message.get("correlationId")
        if correlation is not None:
            correlation, correlation_at = self.resolver.deref(
                correlation, self._origin(node, at, "correlationId")
            )
            location = str(correlation.get("location", "")) if isinstance(correlation, dict) else ""
            if location.startswith("$message.header#/"):
                roles.setdefault("correlation-id", location.removeprefix("$message.header#/"))
            elif not location.startswith("$message.payload#/"):
                raise self.fail(
                    f"correlationId location {location!r} is not a runtime expression", correlation_at
                )
        event_name = str(message.get("x-a4co-event-name") or (address if not parameters else "") or name)
        version_match = _VERSION.search(event_name)
        version = int(message.get("x-a4co-version") or (version_match.group(1) if version_match else 1))
        aggregate = message.get("x-a4co-aggregate") or {}
        id_field = aggregate.get("idField")
        result = Message(
            name=name,
            title=str(message.get("title") or name),
            summary=str(message.get("summary") or message.get("description") or ""),
            payload=payload,
            headers=headers,
            header_roles=roles,
            event_name=event_name,
            version=version,
            kind="command" if message.get("x-a4co-kind") == "command" else "event",
            aggregate_type=aggregate.get("type"),
            aggregate_id_field=python_identifier(id_field) if id_field else None,
            content_type=content_type,
            sensitive=self._sensitive(message["payload"], payload_at),
            examples=list(message.get("examples") or []),
            origin=str(at),
        )
        self._messages[at] = result
        return result

    def _origin(self, node: dict[str, Any], at: Location, key: str) -> Location:
        """Where `key` of a message is written: in the message itself, or in the trait that gave it."""
        if key in node:
            return at.child(key)
        for i, trait_node in enumerate(node.get("traits") or []):
            trait, trait_at = self.resolver.deref(trait_node, at.child("traits", i))
            if isinstance(trait, dict) and key in trait:
                return trait_at.child(key)
        return at.child(key)

    def _header_roles(self, headers: Any, at: Location) -> dict[str, str]:
        schema, schema_at = self.resolver.deref(headers, at)
        roles: dict[str, str] = {}
        for name, prop in (schema.get("properties") or {}).items():
            prop, prop_at = self.resolver.deref(prop, schema_at.child("properties", name))
            role = prop.get("x-a4co-envelope") if isinstance(prop, dict) else None
            if role is None:
                continue
            if role not in _ROLES:
                raise self.fail(
                    f"unknown envelope role {role!r}; known: {', '.join(sorted(_ROLES))}", prop_at
                )
            roles[role] = name
        return roles

    def _sensitive(self, schema: Any, at: Location) -> dict[tuple[str, ...], str]:
        found: dict[tuple[str, ...], str] = {}

        def walk(node: Any, where: Location, path: tuple[str, ...], seen: frozenset[Location]) -> None:
            node, where = self.resolver.deref(node, where)
            if where in seen or not isinstance(node, dict):
                return
            seen = seen | {where}
            mark = node.get("x-a4co-sensitive")
            if mark is not None and path:
                found[path] = str(mark)
            for key in ("oneOf", "anyOf", "allOf"):
                for i, branch in enumerate(node.get(key) or []):
                    walk(branch, where.child(key, i), path, seen)
            for name, prop in (node.get("properties") or {}).items():
                walk(prop, where.child("properties", name), (*path, name), seen)
            if isinstance(node.get("items"), dict):
                walk(node["items"], where.child("items"), (*path, "*"), seen)

        walk(schema, at, (), frozenset())
        return dict(sorted(found.items()))

    # -- channels and operations ----------------------------------------------------------------------

    def channels(self) -> dict[Location, Channel]:
        channels: dict[Location, Channel] = {}
        senders = self._senders()
        for channel_id, node in (self.document.get("channels") or {}).items():
            node, at = self.resolver.deref(node, Location(self.file, "/channels").child(channel_id))
            address = node.get("address")
            if not isinstance(address, str):
                raise self.fail("channels with a runtime address (address: null) are not supported", at)
            parameters = tuple(_PARAM.findall(address))
            messages = tuple(
                self.message(m, at.child("messages", key), key=key, address=address, parameters=parameters)
                for key, m in (node.get("messages") or {}).items()
            )
            if not messages:
                raise self.fail("a channel needs at least one message", at)
            pattern = address_pattern(address)
            stream = next(
                (s.name for s in self.streams if any(covers(p, pattern) for p in s.config["subjects"])),
                None,
            )
            channels[at] = Channel(
                id=channel_id,
                address=address,
                parameters=parameters,
                messages=messages,
                stream=stream,
                sender=senders.get(at),
                compatibility=node.get("x-a4co-compatibility", "full"),
                title=str(node.get("title") or channel_id),
                summary=str(node.get("summary") or node.get("description") or ""),
            )
        return channels

    def _senders(self) -> dict[Location, str]:
        senders: dict[Location, str] = {}
        for op_id, node in (self.document.get("operations") or {}).items():
            node, at = self.resolver.deref(node, Location(self.file, "/operations").child(op_id))
            if node.get("action") == "send" and isinstance(node.get("channel"), dict):
                _, channel_at = self.resolver.deref(node["channel"], at.child("channel"))
                senders.setdefault(channel_at, self._service(node))
        return senders

    def _service(self, node: dict[str, Any]) -> str:
        return str(node.get("x-a4co-service") or self.document.get("info", {}).get("x-a4co-service") or "app")

    def operations(self, channels: dict[Location, Channel]) -> list[Operation]:
        operations = []
        for op_id, raw in (self.document.get("operations") or {}).items():
            raw, at = self.resolver.deref(raw, Location(self.file, "/operations").child(op_id))
            node = self._with_traits(raw, at)
            if "reply" in node:
                raise self.fail(
                    "request/reply operations (reply) are not supported on JetStream", at.child("reply")
                )
            action = node.get("action")
            if action not in ("send", "receive"):
                raise self.fail(f"action must be send or receive, not {action!r}", at.child("action"))
            if not isinstance(node.get("channel"), dict):
                raise self.fail("an operation must $ref its channel", at.child("channel"))
            _, channel_at = self.resolver.deref(node["channel"], at.child("channel"))
            channel = channels.get(channel_at)
            if channel is None:
                raise self.fail(
                    "the operation's channel is not one of the document's channels", at.child("channel")
                )
            messages = channel.messages
            if node.get("messages"):
                picked = []
                for i, ref in enumerate(node["messages"]):
                    _, message_at = self.resolver.deref(ref, at.child("messages", i))
                    message = self._messages.get(message_at)
                    if message is None or message not in channel.messages:
                        raise self.fail(
                            "the message is not one of the channel's messages", at.child("messages", i)
                        )
                    picked.append(message)
                messages = tuple(picked)
            service = self._service(node)
            consumer = None
            if action == "receive":
                consumer = self._consumer(node, at, op_id, service, channel)
            operations.append(
                Operation(
                    id=op_id,
                    action=action,
                    service=service,
                    channel=channel,
                    messages=messages,
                    consumer=consumer,
                    deprecated=bool(node.get("deprecated", False)),
                    summary=str(node.get("summary") or node.get("description") or ""),
                )
            )
        return operations

    def _consumer(
        self, node: dict[str, Any], at: Location, op_id: str, service: str, channel: Channel
    ) -> Consumer:
        name = node.get("x-a4co-consumer")
        if name is not None:
            consumer = self.consumers.get(str(name))
            if consumer is None:
                raise self.fail(
                    f"consumer {name!r} is not defined in x-jetstream.consumers", at.child("x-a4co-consumer")
                )
            return consumer
        if channel.stream is None:
            raise self.fail(
                "a receive operation needs a JetStream stream holding its channel (x-jetstream.streams)", at
            )
        # No consumer named: a durable one per operation, with JetStream's defaults and explicit acks.
        return Consumer(
            name=f"{service}-{python_identifier(op_id).replace('_', '-')}",
            stream=channel.stream,
            config={
                "ack_policy": "explicit",
                "filter_subjects": (filter_subject(channel.address, channel.parameters),),
            },
        )


def parse_asyncapi(
    resolver: Resolver,
    file: str,
    registry: SchemaRegistry,
    streams: tuple[Stream, ...],
    consumers: tuple[Consumer, ...],
) -> AsyncApiParts:
    document = resolver.document(file)
    version = str(document.get("asyncapi", ""))
    if not version.startswith("3."):
        raise UnsupportedConstructError(
            f"AsyncAPI {version or '?'} is not supported; use 3.x", file=file, pointer="/asyncapi"
        )
    parser = _Parser(resolver, file, registry, streams, consumers)
    channels = parser.channels()
    info = document.get("info") or {}
    return AsyncApiParts(
        title=str(info.get("title", "")),
        version=str(info.get("version", "0.0.0")),
        channels=list(channels.values()),
        operations=parser.operations(channels),
    )
