"""`message-envelope`: every message carries the envelope headers and a correlation id.

The envelope (event id, name, version, aggregate, time, correlation, causation, producer,
trace context) travels in NATS headers; the SDK, the dead letter tool and the tracing all rely
on it. Traits count: a message may get `headers` or `correlationId` from a trait, applied as
JSON Merge Patch with the message's own fields winning, and a `null` in the message removes
what a trait gave.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codegen.lint.lint_error import LintError

if TYPE_CHECKING:
    from codegen.lint.context import LintContext

__all__ = ["RULE_ID", "check_message_envelope"]

RULE_ID = "message-envelope"

_REQUIRED = {
    "headers": "headers (the envelope, ./schemas/envelope.yaml#/EventHeaders)",
    "correlationId": "correlationId (#/components/correlationIds/Correlation)",
}


def check_message_envelope(ctx: LintContext) -> list[LintError]:
    """Each message has `headers` and `correlationId`, directly or through a trait."""
    return [
        LintError.at(
            RULE_ID,
            message.location,
            f"message {message.name} declares no {description}, directly or through a trait",
        )
        for message in ctx.asyncapi.messages.values()
        for field, description in _REQUIRED.items()
        if message.effective.get(field) is None
    ]
