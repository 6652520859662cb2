"""The flow a message belongs to: correlation id, causation id and W3C trace context.

While a handler runs, the subscriber puts the received message's context here; anything the handler
publishes inherits it (same correlation id and trace, caused by the received message). HTTP entry points
set it with `use_context` so that the events a request causes carry the request's ids.

W3C Trace Context: each hop keeps the trace id and gets a new parent (span) id. If OpenTelemetry is
installed and a span is being recorded, its context wins, so traces join the application's own spans.
"""

import functools
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import ModuleType
from uuid import UUID

__all__ = ["MessageContext", "child_traceparent", "current_context", "use_context"]

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_INVALID_TRACE = "0" * 32
_INVALID_SPAN = "0" * 16


@dataclass(frozen=True, slots=True)
class MessageContext:
    """Where the work being done now comes from."""

    correlation_id: UUID
    causation_id: UUID | None = None
    traceparent: str | None = None
    tracestate: str | None = None


_current: ContextVar[MessageContext | None] = ContextVar("a4co_message_context", default=None)


def current_context() -> MessageContext | None:
    return _current.get()


@contextmanager
def use_context(context: MessageContext) -> Iterator[MessageContext]:
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


@functools.cache
def _otel_trace() -> ModuleType | None:
    """OpenTelemetry's trace API if it is installed, looked for once: a failed import is not remembered
    by Python and costs about 0.1 ms, as much again as the rest of preparing a message."""
    try:
        from opentelemetry import trace  # noqa: PLC0415 - optional dependency
    except ImportError:  # pragma: no cover - depends on the installation
        return None
    return trace


def _otel_traceparent() -> tuple[str, str | None] | None:
    trace = _otel_trace()
    if trace is None:  # pragma: no cover - depends on the installation
        return None
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    flags = f"{int(span_context.trace_flags):02x}"
    state = span_context.trace_state.to_header() or None
    return f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}-{flags}", state


def child_traceparent(parent: str | None) -> str:
    """A traceparent for a new hop: the parent's trace with a new span id, or a new trace."""
    otel = _otel_traceparent()
    if otel is not None:
        return otel[0]
    match = _TRACEPARENT.match(parent or "")
    if match and match.group(1) != _INVALID_TRACE and match.group(2) != _INVALID_SPAN:
        trace_id, flags = match.group(1), match.group(3)
    else:
        trace_id, flags = secrets.token_hex(16), "01"
    return f"00-{trace_id}-{secrets.token_hex(8)}-{flags}"
