"""Channel rules: `unversioned-channel` and `channel-stream`.

A channel address is the event name and ends in its major version (`order.created.v1`), so
that a breaking change is a new channel beside the old one. Each address must land in exactly
one JetStream stream, or publishing to it fails (no stream) or is ambiguous (nats-server
refuses overlapping streams); a public event must not land in a service's private event store.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from codegen.lint.lint_error import LintError
from codegen.model import overlaps

if TYPE_CHECKING:
    from codegen.lint.context import LintContext

__all__ = ["CHANNEL_STREAM", "UNVERSIONED_CHANNEL", "check_channel_stream", "check_unversioned_channel"]

UNVERSIONED_CHANNEL = "unversioned-channel"
CHANNEL_STREAM = "channel-stream"

_VERSION_SUFFIX = re.compile(r"\.v[1-9][0-9]*$")
_PARAMETER = re.compile(r"\{([^{}]*)\}")


def check_unversioned_channel(ctx: LintContext) -> list[LintError]:
    """Addresses end in `.v<N>`, or in a `{parameter}`; every parameter used is declared."""
    errors: list[LintError] = []
    for channel in ctx.asyncapi.channels.values():
        address = channel.address
        at = channel.location.child("address")
        if address is None:
            errors.append(LintError.at(UNVERSIONED_CHANNEL, at, f"channel {channel.key} has no address"))
            continue
        used = _PARAMETER.findall(address)
        undeclared = [name for name in used if name not in channel.parameters]
        if undeclared:
            names = ", ".join(f"{{{name}}}" for name in undeclared)
            errors.append(
                LintError.at(
                    UNVERSIONED_CHANNEL,
                    at,
                    f"address {address!r} uses {names}, not declared in the channel's parameters",
                )
            )
        elif not (_VERSION_SUFFIX.search(address) or (used and address.endswith("}"))):
            errors.append(
                LintError.at(
                    UNVERSIONED_CHANNEL,
                    at,
                    f"address {address!r} does not end in its major version (.v1, .v2, ...)",
                )
            )
    return errors


def check_channel_stream(ctx: LintContext) -> list[LintError]:
    """Each address falls in exactly one stream; public channels not in private streams."""
    model = ctx.asyncapi
    errors: list[LintError] = []
    for channel in model.channels.values():
        pattern = channel.pattern
        if pattern is None:
            continue  # unversioned-channel reports it
        at = channel.location.child("address")
        streams = model.streams_of(channel)
        if not streams:
            partial = sorted(
                stream.name
                for stream in model.streams.values()
                if any(overlaps(subject, pattern) for subject in stream.subjects)
            )
            detail = f"; only part of it is in {', '.join(partial)}" if partial else ""
            errors.append(
                LintError.at(
                    CHANNEL_STREAM,
                    at,
                    f"{pattern!r} (channel {channel.key}) falls in no stream of x-jetstream.streams{detail}",
                )
            )
        elif len(streams) > 1:
            names = ", ".join(stream.name for stream in streams)
            errors.append(
                LintError.at(
                    CHANNEL_STREAM,
                    at,
                    f"{pattern!r} (channel {channel.key}) falls in several streams: {names}",
                )
            )
        errors.extend(
            LintError.at(
                CHANNEL_STREAM,
                at,
                f"public channel {channel.key} ({pattern!r}) falls in stream {stream.name}, "
                "which is x-a4co-private (a service's own event store)",
            )
            for stream in streams
            if stream.private and not channel.private
        )
    return errors
