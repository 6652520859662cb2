"""The Order aggregate in the event store: its dataclass events as stored events, and back.

The domain's `Order` stays free of storage concerns; this wrapper is what the event store's repository
loads and saves. Each domain event is stored under its class name with its schema version; loading
decodes (after the repository has upcast older versions) and applies it to a fresh `Order`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar
from uuid import UUID, uuid4

from pydantic import TypeAdapter

from services.order.domain import events as ev
from services.order.domain.order import Order, SagaTimeouts
from services.platform.eventstore import Aggregate, DomainEvent, Upcasters

__all__ = ["UPCASTERS", "StoredOrder", "decode", "encode"]

EVENT_TYPES: dict[str, type[ev.Event]] = {
    name: cls
    for name in ev.__all__
    if isinstance(cls := getattr(ev, name), type) and issubclass(cls, ev.Event) and cls is not ev.Event
}

# Stored events of an older schema version are upcast on load, one version at a time:
# UPCASTERS[("OrderPlaced", 1)] = lambda data: {**data, "channel": "web"} would read v1 as v2.
UPCASTERS: Upcasters = {}


_ADAPTERS: dict[type[ev.Event], TypeAdapter[Any]] = {cls: TypeAdapter(cls) for cls in EVENT_TYPES.values()}


def encode(event: ev.Event) -> dict[str, Any]:
    data: dict[str, Any] = _ADAPTERS[type(event)].dump_python(event, mode="json")
    data.pop("at", None)  # the stored event's occurredAt holds it
    return data


def decode(stored: DomainEvent) -> ev.Event:
    cls = EVENT_TYPES[stored.type]
    event: ev.Event = _ADAPTERS[cls].validate_python({**stored.data, "at": stored.occurred_at})
    return event


class StoredOrder(Aggregate):
    aggregate_type = "order"
    event_versions: ClassVar[Mapping[str, int]] = MappingProxyType(
        {n: c.version for n, c in EVENT_TYPES.items()}
    )
    timeouts: ClassVar[SagaTimeouts] = SagaTimeouts()
    """Set by the composition root (A4CO_SAGA_* settings) before any order is loaded."""

    def __init__(self, aggregate_id: str | UUID) -> None:
        super().__init__(aggregate_id)
        self.order = Order(order_id=UUID(str(aggregate_id)), timeouts=self.timeouts)

    def apply(self, event: DomainEvent) -> None:
        self.order.apply(decode(event))
        self.version += 1

    def record(self) -> list[ev.Event]:
        """Move what the domain decided into the aggregate's pending events; returns them."""
        decided = self.order.collect()
        for event in decided:
            self._pending.append(
                DomainEvent(
                    type(event).__name__,
                    encode(event),
                    version=type(event).version,
                    event_id=str(uuid4()),
                    occurred_at=event.at,
                )
            )
            self.version += 1
        if decided:
            self._commit_id = None
        return decided

    @classmethod
    def wrap(cls, order: Order) -> StoredOrder:
        """A new aggregate around an order the domain just created (`Order.place`)."""
        stored = cls(order.order_id)
        stored.order = order
        return stored
