"""`x-jetstream` compared: streams hold the events that are replayed, consumers deliver them.

Removing a stream, or changing its subjects so that a channel leaves it, loses or strands the
events stored there; changing a durable consumer's filter so that it no longer delivers the
channel of an operation naming it silently stops that operation. Both break. Every other setting
is a warning: it changes behaviour (retention, limits, redelivery) without making a message
unreadable, but shorter retention means replays reach less, which is worth saying.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

from codegen.diff import rules
from codegen.diff.change import STRICT, Change, Rule, grade
from codegen.model.durations import parse_duration
from codegen.model.subjects import covers

if TYPE_CHECKING:
    from collections.abc import Iterator

    from codegen.loader import Location
    from codegen.model.asyncapi import AsyncAPIModel, Channel, Consumer, Stream

__all__ = ["compare_jetstream", "retention_of"]

#: Stream limits after which events are deleted; 0, -1 or absent means no limit.
_LIMITS = ("max_age", "max_msgs", "max_bytes", "max_msgs_per_subject")
_CONSUMER_FILTERS = ("filter_subject", "filter_subjects")
_NOT_SETTINGS = ("description",)


def compare_jetstream(old: AsyncAPIModel, new: AsyncAPIModel) -> list[Change]:
    """Every change to streams and consumers, and to which stream holds each channel."""
    return [*_streams(old, new), *_channel_streams(old, new), *_consumers(old, new)]


def retention_of(model: AsyncAPIModel, channel: Channel) -> str:
    """How long the events of `channel` stay stored, in words, for messages about removals."""
    streams = model.streams_of(channel)
    if not streams:
        return "no stream stores its events"
    stream = streams[0]
    age = stream.config.get("max_age")
    if _limit(age) == math.inf:
        return f"stream {stream.name} keeps its events with no age limit"
    return f"stream {stream.name} keeps its events for up to {age}"


def _change(rule: Rule, at: Location, side: Literal["old", "new"], subject: str, text: str) -> Change:
    return Change(rule, grade(rule, STRICT), STRICT, at, side, subject, text)


# -- streams -------------------------------------------------------------------------------------


def _streams(old: AsyncAPIModel, new: AsyncAPIModel) -> Iterator[Change]:
    for name, stream in old.streams.items():
        subject = f"stream {name}"
        after = new.streams.get(name)
        if after is None:
            age = stream.config.get("max_age", "no age limit")
            text = (
                f"stream {name} removed: the events it stores (max_age {age}) go with it and "
                f"{', '.join(stream.subjects) or 'its subjects'} are no longer persisted"
            )
            yield _change(rules.STREAM_REMOVED, stream.location, "old", subject, text)
            continue
        yield from _settings(stream.config, after.config, after.location, subject, skip=("subjects",))
        if stream.subjects != after.subjects:
            text = f"subjects {list(stream.subjects)} -> {list(after.subjects)}"
            yield _change(
                rules.JETSTREAM_SETTING_CHANGED, after.location.child("subjects"), "new", subject, text
            )
    for name, stream in new.streams.items():
        if name not in old.streams:
            text = f"stream {name} added for {', '.join(stream.subjects)}"
            yield _change(rules.STREAM_ADDED, stream.location, "new", f"stream {name}", text)


def _settings(
    before: Any, after: Any, at: Location, subject: str, *, skip: tuple[str, ...]
) -> Iterator[Change]:
    for key in dict.fromkeys([*before, *after]):
        if key in skip or key in _NOT_SETTINGS or before.get(key) == after.get(key):
            continue
        text = f"{key} {before.get(key, '(unset)')} -> {after.get(key, '(unset)')}"
        rule = rules.JETSTREAM_SETTING_CHANGED
        if key in _LIMITS and _limit(after.get(key)) < _limit(before.get(key)):
            rule = rules.STREAM_RETENTION_REDUCED
            text += ": older events are deleted sooner, so replays and new consumers reach less"
        yield _change(rule, at.child(key) if key in after else at, "new", subject, text)


def _limit(value: Any) -> float:
    """A stream limit as a number to compare, durations in seconds; no limit is infinite."""
    duration = parse_duration(value)
    if duration is not None:
        seconds = duration.total_seconds()
        return seconds if seconds > 0 else math.inf
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return math.inf


def _channel_streams(old: AsyncAPIModel, new: AsyncAPIModel) -> Iterator[Change]:
    new_channels = {channel.address: channel for channel in new.channels.values() if channel.address}
    for channel in old.channels.values():
        after = new_channels.get(channel.address) if channel.address else None
        if after is None:
            continue
        now = {stream.name for stream in new.streams_of(after)}
        for stream in old.streams_of(channel):
            if stream.name in now or stream.name not in new.streams:
                continue  # still there, or the stream itself was removed (reported as such)
            moved = f" (now in {', '.join(sorted(now))})" if now else ""
            text = (
                f"channel {channel.address} no longer falls in stream {stream.name}{moved}: its stored "
                f"events stay in {stream.name}, where readers of the channel will no longer look"
            )
            at = new.streams[stream.name].location.child("subjects")
            yield _change(rules.CHANNEL_LEFT_STREAM, at, "new", f"stream {stream.name}", text)


# -- consumers -----------------------------------------------------------------------------------


def _consumers(old: AsyncAPIModel, new: AsyncAPIModel) -> Iterator[Change]:
    for name, consumer in old.consumers.items():
        subject = f"consumer {name}"
        after = new.consumers.get(name)
        if after is None:
            text = f"durable consumer {name} removed: its position in stream {consumer.stream} is lost"
            yield _change(rules.CONSUMER_REMOVED, consumer.location, "old", subject, text)
            continue
        yield from _settings(consumer.config, after.config, after.location, subject, skip=_CONSUMER_FILTERS)
        if consumer.filters != after.filters:
            text = f"filters {list(consumer.filters)} -> {list(after.filters)}"
            at = after.location.child(
                next((k for k in _CONSUMER_FILTERS if k in after.config), "filter_subject")
            )
            yield _change(rules.JETSTREAM_SETTING_CHANGED, at, "new", subject, text)
        yield from _dropped(old, new, consumer, after)
    for name, consumer in new.consumers.items():
        if name not in old.consumers:
            text = f"durable consumer {name} added on stream {consumer.stream}"
            yield _change(rules.CONSUMER_ADDED, consumer.location, "new", f"consumer {name}", text)


def _dropped(old: AsyncAPIModel, new: AsyncAPIModel, before: Consumer, after: Consumer) -> Iterator[Change]:
    """The channels of operations naming the consumer that it delivered and no longer does."""
    new_channels = {channel.address: channel for channel in new.channels.values() if channel.address}
    for operation in old.operations.values():
        if operation.consumer != before.name or operation.channel is None:
            continue
        channel = old.channels.get(operation.channel)
        address = channel.address if channel is not None else None
        if channel is None or address is None or address not in new_channels:
            continue
        if _delivers(old, before, channel) and not _delivers(new, after, new_channels[address]):
            text = (
                f"consumer {after.name} no longer delivers {address}, which operation {operation.key} "
                "receives through it"
            )
            at = after.location.child(next((k for k in _CONSUMER_FILTERS if k in after.config), "stream"))
            yield _change(rules.CONSUMER_FILTER_DROPS_CHANNEL, at, "new", f"consumer {after.name}", text)


def _delivers(model: AsyncAPIModel, consumer: Consumer, channel: Channel) -> bool:
    pattern = channel.pattern
    stream: Stream | None = model.streams.get(consumer.stream or "")
    if pattern is None or stream is None or not any(covers(s, pattern) for s in stream.subjects):
        return False
    return not consumer.filters or any(covers(f, pattern) for f in consumer.filters)
