"""Streams and consumers from the `x-jetstream` extension of an AsyncAPI document."""

from __future__ import annotations

from typing import Any

from codegen.ir import Consumer, Stream
from codegen.loader.location import Location
from codegen.model import durations
from codegen.parser.schemas import UnsupportedConstructError

__all__ = ["parse_duration", "parse_jetstream"]

_STREAM_DURATIONS = ("max_age", "duplicate_window")
_CONSUMER_DURATIONS = ("ack_wait", "inactive_threshold")


def parse_duration(text: Any, at: Location) -> float:
    """`30d` -> 2592000.0 seconds, or an error naming where the duration is written."""
    duration = durations.parse_duration(text)
    if duration is None:
        raise UnsupportedConstructError(
            f"{text!r} is not a duration such as 30s, 2m or 7d", file=at.file, pointer=at.pointer
        )
    return duration.total_seconds()


def _config(node: dict[str, Any], at: Location, durations: tuple[str, ...]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for key, value in node.items():
        if key.startswith("x-"):
            continue
        if key in durations:
            config[key] = parse_duration(value, at.child(key))
        elif key == "backoff":
            config[key] = tuple(parse_duration(v, at.child(key, i)) for i, v in enumerate(value))
        elif isinstance(value, list):
            config[key] = tuple(value)
        else:
            config[key] = value
    return config


def parse_jetstream(document: dict[str, Any], file: str) -> tuple[tuple[Stream, ...], tuple[Consumer, ...]]:
    root = Location(file, "/x-jetstream")
    extension = document.get("x-jetstream") or {}
    streams = []
    for name, node in (extension.get("streams") or {}).items():
        at = root.child("streams", name)
        config = _config(node, at, _STREAM_DURATIONS)
        streams.append(
            Stream(
                name=name,
                config=config,
                private=bool(node.get("x-a4co-private", False)),
                owner=node.get("x-a4co-owner"),
            )
        )
    consumers = []
    for name, node in (extension.get("consumers") or {}).items():
        at = root.child("consumers", name)
        config = _config(node, at, _CONSUMER_DURATIONS)
        stream = config.pop("stream", None)
        if not isinstance(stream, str):
            raise UnsupportedConstructError("a consumer must name its stream", file=file, pointer=at.pointer)
        filters = config.pop("filter_subjects", ()) or ()
        if "filter_subject" in config:
            filters = (config.pop("filter_subject"), *filters)
        config["filter_subjects"] = tuple(filters)
        config.pop("durable_name", None)
        consumers.append(Consumer(name=name, stream=stream, config=config))
    return tuple(streams), tuple(consumers)
