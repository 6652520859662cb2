"""What the contracts define, summarised row by row for people (`a4co contracts show`).

Each function returns plain rows; the command line only lays them out, so any other front end
(a docs page, a test) gets the same answers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from codegen.model.asyncapi import AsyncAPIModel
    from codegen.model.openapi import HttpOperation

__all__ = [
    "ChannelRow",
    "ConsumerRow",
    "ServiceRow",
    "StreamRow",
    "channel_rows",
    "consumer_rows",
    "http_rows",
    "service_rows",
    "stream_rows",
]


@dataclass(frozen=True)
class ChannelRow:
    address: str
    messages: tuple[str, ...]
    senders: tuple[str, ...]
    receivers: tuple[str, ...]
    streams: tuple[str, ...]


@dataclass(frozen=True)
class ServiceRow:
    service: str
    sends: tuple[str, ...]
    receives: tuple[str, ...]


@dataclass(frozen=True)
class StreamRow:
    name: str
    subjects: tuple[str, ...]
    retention: str
    storage: str
    replicas: str
    max_age: str
    private: bool


@dataclass(frozen=True)
class ConsumerRow:
    name: str
    stream: str
    filters: tuple[str, ...]
    services: tuple[str, ...]
    operations: int
    max_deliver: str
    ack_wait: str
    backoff: str


def channel_rows(model: AsyncAPIModel) -> list[ChannelRow]:
    """One row per channel, in document order."""
    rows = []
    for channel in model.channels.values():
        names = tuple(model.messages[m].name for m in channel.messages if m in model.messages)
        rows.append(
            ChannelRow(
                address=channel.address or "(no address)",
                messages=names,
                senders=_services(model, channel.location, "send"),
                receivers=_services(model, channel.location, "receive"),
                streams=tuple(stream.name for stream in model.streams_of(channel)),
            )
        )
    return rows


def service_rows(model: AsyncAPIModel) -> list[ServiceRow]:
    """One row per service: the messages it sends and receives."""
    sends: dict[str, list[str]] = defaultdict(list)
    receives: dict[str, list[str]] = defaultdict(list)
    for op in model.operations.values():
        service = op.service or "(no x-a4co-service)"
        target = sends if op.action == "send" else receives
        target[service].extend(model.messages[m].name for m in op.messages if m in model.messages)
        if not op.messages:
            target[service].append(op.key)
    return [
        ServiceRow(service, tuple(sends.get(service, ())), tuple(receives.get(service, ())))
        for service in sorted(set(sends) | set(receives))
    ]


def stream_rows(model: AsyncAPIModel) -> list[StreamRow]:
    """One row per stream, with the settings people ask about."""
    return [
        StreamRow(
            name=stream.name,
            subjects=stream.subjects,
            retention=_text(stream.config.get("retention"), "limits"),
            storage=_text(stream.config.get("storage"), "file"),
            replicas=_text(stream.config.get("num_replicas"), "1"),
            max_age=_text(stream.config.get("max_age"), "unlimited"),
            private=stream.private,
        )
        for stream in model.streams.values()
    ]


def consumer_rows(model: AsyncAPIModel) -> list[ConsumerRow]:
    """One row per consumer, with the services and number of operations it serves."""
    served: dict[str, list[str]] = defaultdict(list)
    for op in model.operations.values():
        if op.action == "receive" and op.consumer:
            served[op.consumer].append(op.service or "?")
    rows = []
    for consumer in model.consumers.values():
        backoff = consumer.config.get("backoff")
        rows.append(
            ConsumerRow(
                name=consumer.name,
                stream=consumer.stream or "?",
                filters=consumer.filters,
                services=tuple(sorted(set(served.get(consumer.name, ())))),
                operations=len(served.get(consumer.name, ())),
                max_deliver=_text(consumer.config.get("max_deliver"), "unlimited"),
                ack_wait=_text(consumer.config.get("ack_wait"), "30s"),
                backoff=", ".join(str(value) for value in backoff) if isinstance(backoff, list) else "",
            )
        )
    return rows


def http_rows(operations: dict[str, list[HttpOperation]]) -> list[HttpOperation]:
    """Every HTTP operation, by service and then as the document lists them."""
    return [op for service in sorted(operations) for op in operations[service]]


def _services(model: AsyncAPIModel, channel: Any, action: str) -> tuple[str, ...]:
    return tuple(sorted({op.service or "?" for op in model.operations_on(channel, action)}))


def _text(value: Any, default: str) -> str:
    return default if value is None else str(value)
