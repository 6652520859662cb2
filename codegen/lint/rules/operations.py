"""Operation rules: `operation-service`, `message-sender` and `receive-consumer`.

The AsyncAPI document is also the platform's wiring diagram: `x-a4co-service` says which
service runs an operation, each message has exactly one sender (the service that owns the
fact), and each `receive` operation names the durable JetStream consumer it reads through.
A consumer belongs to one service: two services sharing a durable would steal each other's
messages.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from codegen.lint.lint_error import LintError
from codegen.model import Operation, covers

if TYPE_CHECKING:
    from codegen.lint.context import LintContext

__all__ = [
    "MESSAGE_SENDER",
    "OPERATION_SERVICE",
    "RECEIVE_CONSUMER",
    "check_message_sender",
    "check_operation_service",
    "check_receive_consumer",
]

OPERATION_SERVICE = "operation-service"
MESSAGE_SENDER = "message-sender"
RECEIVE_CONSUMER = "receive-consumer"


def check_operation_service(ctx: LintContext) -> list[LintError]:
    """Every operation names its service in `x-a4co-service`."""
    return [
        LintError.at(
            OPERATION_SERVICE,
            op.location,
            f"operation {op.key} has no x-a4co-service naming the service that runs it",
        )
        for op in ctx.asyncapi.operations.values()
        if op.service is None
    ]


def check_message_sender(ctx: LintContext) -> list[LintError]:
    """Every message is sent by exactly one `send` operation."""
    model = ctx.asyncapi
    errors: list[LintError] = []
    for message in model.messages.values():
        senders = model.operations_of(message.location, "send")
        if not senders:
            errors.append(
                LintError.at(
                    MESSAGE_SENDER, message.location, f"message {message.name} has no send operation"
                )
            )
        elif len(senders) > 1:
            errors.append(
                LintError.at(
                    MESSAGE_SENDER,
                    message.location,
                    f"message {message.name} is sent by {len(senders)} operations, "
                    f"one is allowed: {_describe(senders)}",
                )
            )
    return errors


def check_receive_consumer(ctx: LintContext) -> list[LintError]:
    """Each receive operation reads through a consumer of its own that delivers its channel."""
    model = ctx.asyncapi
    errors: list[LintError] = []
    served: dict[str, list[Operation]] = defaultdict(list)
    for op in model.operations.values():
        if op.action != "receive":
            continue
        if op.consumer is None:
            errors.append(
                LintError.at(
                    RECEIVE_CONSUMER, op.location, f"receive operation {op.key} names no x-a4co-consumer"
                )
            )
            continue
        consumer = model.consumers.get(op.consumer)
        if consumer is None:
            errors.append(
                LintError.at(
                    RECEIVE_CONSUMER,
                    op.location.child("x-a4co-consumer"),
                    f"operation {op.key} reads through consumer {op.consumer!r}, "
                    "which x-jetstream.consumers does not define",
                )
            )
            continue
        served[consumer.name].append(op)
        channel = model.channels.get(op.channel) if op.channel is not None else None
        pattern = channel.pattern if channel is not None else None
        stream = model.streams.get(consumer.stream) if consumer.stream is not None else None
        if channel is None or pattern is None or stream is None:
            continue  # reported by unresolved-ref, unversioned-channel or consumer-config
        if not any(covers(subject, pattern) for subject in stream.subjects):
            errors.append(
                LintError.at(
                    RECEIVE_CONSUMER,
                    consumer.location.child("stream"),
                    f"consumer {consumer.name} reads stream {stream.name}, which does not hold "
                    f"{pattern!r} (channel {channel.key} of operation {op.key})",
                )
            )
        elif consumer.filters and not any(covers(subject, pattern) for subject in consumer.filters):
            field = "filter_subjects" if "filter_subjects" in consumer.config else "filter_subject"
            filters = ", ".join(repr(subject) for subject in consumer.filters)
            errors.append(
                LintError.at(
                    RECEIVE_CONSUMER,
                    consumer.location.child(field),
                    f"consumer {consumer.name} filters {filters}, which does not deliver "
                    f"{pattern!r} (channel {channel.key} of operation {op.key})",
                )
            )
    for name, operations in served.items():
        services = {op.service for op in operations}
        if len(services) > 1:
            errors.append(
                LintError.at(
                    RECEIVE_CONSUMER,
                    model.consumers[name].location,
                    f"consumer {name} serves operations of {len(services)} services, "
                    f"a durable belongs to one: {_describe(operations)}",
                )
            )
    return errors


def _describe(operations: list[Operation]) -> str:
    by_service: dict[str, list[str]] = defaultdict(list)
    for op in operations:
        by_service[op.service or "(no x-a4co-service)"].append(op.key)
    return "; ".join(f"{service} ({', '.join(keys)})" for service, keys in sorted(by_service.items()))
