"""Upcasting: old events are read at the schema version the code applies today.

Stored events are never rewritten (the stream denies deletes, and history is evidence). When an event's
data changes shape, the aggregate raises its version in `event_versions` and registers one upcaster per
step, `upcasters[("OrderPlaced", 1)] = upcast_v1_v2`, a pure function from the old data to the new.
Loading applies the steps in turn until the event reaches the current version, so code only ever sees
one shape per event type (eventsourcing's `class_version` and `upcast_v1_v2`).

The registry is a plain mapping: a module-level dict per aggregate is enough and easy to test.
"""

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from .commit import DomainEvent
from .errors import EventVersionError

__all__ = ["Upcaster", "Upcasters", "upcast"]

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
"""Data at version N -> data at version N + 1."""

Upcasters = Mapping[tuple[str, int], Upcaster]
"""(event type, version it upcasts from) -> upcaster."""


def upcast(event: DomainEvent, upcasters: Upcasters, current: int) -> DomainEvent:
    """`event` at schema version `current`; EventVersionError when no chain of upcasters gets it there."""
    if event.version == current:
        return event
    data, version = dict(event.data), event.version
    while version < current and (step := upcasters.get((event.type, version))) is not None:
        data = step(data)
        version += 1
    if version != current:
        raise EventVersionError(event.type, version, current)
    return replace(event, data=data, version=version)
