"""JetStream rules: `stream-overlap` and `consumer-config`.

These catch, before any server is involved, what nats-server would refuse or silently change:

- two streams whose subjects overlap: the second one is refused;
- `max_deliver` lower than the number of `backoff` values: the consumer is refused
  ("max deliver is required to be > length of backoff values", nats-server 2.15.1: 3 with 5
  values refused, 5 with 5 accepted);
- `ack_wait` beside `backoff`: the server replaces `ack_wait` with `backoff[0]` without a
  word, so a contract saying otherwise would lie;
- a durable name with `.`, `*`, `>` or whitespace: not a valid consumer name.

Durations must be `<n><unit>` (ms, s, m, h, d), in consumers and streams alike.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from codegen.lint.lint_error import LintError
from codegen.model import Consumer, is_valid_pattern, overlaps, parse_duration

if TYPE_CHECKING:
    from codegen.lint.context import LintContext
    from codegen.loader import Location

__all__ = ["CONSUMER_CONFIG", "STREAM_OVERLAP", "check_consumer_config", "check_stream_overlap"]

STREAM_OVERLAP = "stream-overlap"
CONSUMER_CONFIG = "consumer-config"

STREAM_DURATIONS = ("max_age", "duplicate_window", "subject_delete_marker_ttl")
CONSUMER_DURATIONS = ("ack_wait", "idle_heartbeat", "inactive_threshold", "max_expires")
_BAD_NAME = re.compile(r"[.*>\s]")


def check_stream_overlap(ctx: LintContext) -> list[LintError]:
    """Stream subjects are valid patterns, and no two streams' subjects overlap."""
    streams = list(ctx.asyncapi.streams.values())
    errors: list[LintError] = []
    for stream in streams:
        errors.extend(
            LintError.at(
                STREAM_OVERLAP,
                stream.location.child("subjects", index),
                f"{subject!r} is not a valid NATS subject pattern",
            )
            for index, subject in enumerate(stream.subjects)
            if not is_valid_pattern(subject)
        )
    for position, stream in enumerate(streams):
        for earlier in streams[:position]:
            for index, subject in enumerate(stream.subjects):
                clashes = [other for other in earlier.subjects if overlaps(subject, other)]
                errors.extend(
                    LintError.at(
                        STREAM_OVERLAP,
                        stream.location.child("subjects", index),
                        f"stream {stream.name} subject {subject!r} overlaps {other!r} "
                        f"of stream {earlier.name}",
                    )
                    for other in clashes
                )
    return errors


def check_consumer_config(ctx: LintContext) -> list[LintError]:
    """Durations parse; consumers are configured the way nats-server will accept and keep."""
    model = ctx.asyncapi
    errors: list[LintError] = []
    for stream in model.streams.values():
        errors.extend(_durations(stream.config, stream.location, STREAM_DURATIONS))
    for consumer in model.consumers.values():
        errors.extend(_durations(consumer.config, consumer.location, CONSUMER_DURATIONS))
        errors.extend(_backoff(consumer))
        errors.extend(_names(consumer))
        errors.extend(_stream_and_filters(ctx, consumer))
    return errors


def _durations(config: Any, at: Location, fields: tuple[str, ...]) -> list[LintError]:
    return [
        LintError.at(
            CONSUMER_CONFIG,
            at.child(field),
            f"{field} {config[field]!r} is not a duration <n><unit> (units ms, s, m, h, d)",
        )
        for field in fields
        if field in config and parse_duration(config[field]) is None
    ]


def _backoff(consumer: Consumer) -> list[LintError]:
    config, at = consumer.config, consumer.location
    if "backoff" not in config:
        return []
    backoff = config["backoff"]
    if not isinstance(backoff, list) or not backoff:
        return [
            LintError.at(
                CONSUMER_CONFIG, at.child("backoff"), "backoff must be a non-empty list of durations"
            )
        ]
    errors = [
        LintError.at(
            CONSUMER_CONFIG,
            at.child("backoff", index),
            f"backoff value {value!r} is not a duration <n><unit>",
        )
        for index, value in enumerate(backoff)
        if parse_duration(value) is None
    ]
    max_deliver = config.get("max_deliver", -1)
    if isinstance(max_deliver, int) and max_deliver != -1 and max_deliver < len(backoff):
        errors.append(
            LintError.at(
                CONSUMER_CONFIG,
                at.child("max_deliver"),
                f"max_deliver {max_deliver} is less than the {len(backoff)} backoff values: "
                "nats-server refuses the consumer",
            )
        )
    first, ack_wait = parse_duration(backoff[0]), parse_duration(config.get("ack_wait"))
    if first is not None and ack_wait is not None and first != ack_wait:
        errors.append(
            LintError.at(
                CONSUMER_CONFIG,
                at.child("ack_wait"),
                f"ack_wait {config['ack_wait']} differs from backoff[0] {backoff[0]}: with a backoff, "
                "nats-server uses backoff[0] as the ack wait and ignores ack_wait",
            )
        )
    return errors


def _names(consumer: Consumer) -> list[LintError]:
    config, at, name = consumer.config, consumer.location, consumer.name
    if _BAD_NAME.search(name):
        return [
            LintError.at(CONSUMER_CONFIG, at, f"consumer name {name!r} contains '.', '*', '>' or whitespace")
        ]
    durable = config.get("durable_name")
    if durable != name:
        return [
            LintError.at(
                CONSUMER_CONFIG,
                at.child("durable_name") if "durable_name" in config else at,
                f"durable_name must equal the consumer's key {name!r}, is {durable!r}",
            )
        ]
    return []


def _stream_and_filters(ctx: LintContext, consumer: Consumer) -> list[LintError]:
    config, at = consumer.config, consumer.location
    errors: list[LintError] = []
    if "filter_subject" in config and "filter_subjects" in config:
        errors.append(
            LintError.at(CONSUMER_CONFIG, at, "filter_subject and filter_subjects are exclusive: use one")
        )
    stream = ctx.asyncapi.streams.get(consumer.stream) if consumer.stream else None
    if stream is None:
        errors.append(
            LintError.at(
                CONSUMER_CONFIG,
                at.child("stream") if "stream" in config else at,
                f"consumer {consumer.name} reads stream {consumer.stream!r}, "
                "which x-jetstream.streams does not define",
            )
        )
    for subject in consumer.filters:
        if not is_valid_pattern(subject):
            errors.append(
                LintError.at(CONSUMER_CONFIG, at, f"filter {subject!r} is not a valid NATS subject pattern")
            )
        elif stream is not None and not any(overlaps(subject, other) for other in stream.subjects):
            errors.append(
                LintError.at(
                    CONSUMER_CONFIG,
                    at,
                    f"filter {subject!r} matches no subject of stream {stream.name}: nats-server refuses it",
                )
            )
    return errors
