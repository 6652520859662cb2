"""The base of event-sourced aggregates: state is what its events made it.

A command method checks the rules and calls `_trigger(type, data)`; the event is applied at once (so the
method sees the new state) and kept as pending until the repository stores it. `apply` dispatches an
event to the method marked `@when(type)`, the same code whether the event is new or replayed on load,
which is what keeps replay and live behaviour from drifting apart.

```python
class Order(Aggregate):
    aggregate_type = "order"
    event_versions = {"OrderPlaced": 2}        # schema version new events get; loads upcast to it

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.status = "new"

    def place(self, customer_id: str) -> None:
        if self.status != "new":
            raise OrderAlreadyPlaced(self.id)
        self._trigger("OrderPlaced", {"customerId": customer_id})

    @when("OrderPlaced")
    def _when_placed(self, event: DomainEvent) -> None:
        self.status = "placed"
```

`causations` holds the id of every message that caused a stored commit of this aggregate. A handler
asks `aggregate.has_processed(message_id)` before deciding: a redelivered message is recognised from
the aggregate's own history, with no inbox table beside the event store.
"""

from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar
from uuid import UUID, uuid4

from .commit import DomainEvent

__all__ = ["Aggregate", "when"]

_APPLIES = "_a4co_applies"

Applier = Callable[[Any, DomainEvent], None]
F = TypeVar("F", bound=Applier)


def when(event_type: str) -> Callable[[F], F]:
    """Mark a method as the one that applies events of `event_type` to the aggregate's state."""

    def mark(method: F) -> F:
        setattr(method, _APPLIES, event_type)
        return method

    return mark


class Aggregate:
    """An event-sourced aggregate: an id, the events applied so far and those not stored yet."""

    aggregate_type: ClassVar[str]
    """The subject token of the type (`order` in `es.order.<id>`) and the commit's `aggregateType`."""
    event_versions: ClassVar[Mapping[str, int]] = MappingProxyType({})
    """Current schema version per event type (1 when absent)."""
    _appliers: ClassVar[Mapping[str, str]] = MappingProxyType({})
    """Event type -> name of the method applying it (looked up on the instance, so overriding works)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        appliers: dict[str, str] = {}
        for klass in reversed(cls.__mro__):  # a subclass's @when overrides its base's
            for name, member in vars(klass).items():
                event_type = getattr(member, _APPLIES, None)
                if isinstance(event_type, str):
                    appliers[event_type] = name
        cls._appliers = MappingProxyType(appliers)

    def __init__(self, aggregate_id: str | UUID) -> None:
        self.id = str(aggregate_id)
        self.version = 0
        """Events applied: stored ones and pending ones."""
        self.sequence = 0
        """Stream sequence of the last stored commit this state includes (0: none); the expected
        sequence of the next save. The repository maintains it."""
        self._pending: list[DomainEvent] = []
        self._causations: set[str] = set()
        self._commit_id: str | None = None

    @classmethod
    def current_version(cls, event_type: str) -> int:
        return cls.event_versions.get(event_type, 1)

    @property
    def pending_events(self) -> tuple[DomainEvent, ...]:
        """Events triggered since the last save, in order."""
        return tuple(self._pending)

    @property
    def pending_commit_id(self) -> str:
        """The id the pending events are committed under; the same until they change or are stored.

        A save retried after an ambiguous failure (a timeout: stored or not?) sends the same commit id,
        so the event store recognises a commit that had in fact been stored instead of storing it twice.
        """
        if self._commit_id is None:
            self._commit_id = str(uuid4())
        return self._commit_id

    @property
    def causations(self) -> AbstractSet[str]:
        """Ids of the messages that caused this aggregate's stored commits (read-only view)."""
        return self._causations

    def has_processed(self, message_id: str | UUID) -> bool:
        """Whether a commit caused by this message is already stored: the message is a redelivery."""
        return str(message_id) in self._causations

    def apply(self, event: DomainEvent) -> None:
        """Change the state by one event, through its `@when` method."""
        name = self._appliers.get(event.type)
        if name is None:
            raise LookupError(f"{type(self).__name__} has no @when({event.type!r}) method")
        getattr(self, name)(event)
        self.version += 1

    def _trigger(
        self,
        event_type: str,
        data: Mapping[str, Any],
        *,
        occurred_at: datetime | None = None,
        event_id: str | UUID | None = None,
    ) -> DomainEvent:
        """Record a new event: apply it, then keep it for the next save."""
        event = DomainEvent(
            event_type,
            dict(data),
            version=self.current_version(event_type),
            event_id=str(event_id or uuid4()),
            occurred_at=occurred_at or datetime.now(UTC),
        )
        self.apply(event)  # a failing @when leaves nothing pending
        self._pending.append(event)
        self._commit_id = None  # different events, a different commit
        return event

    # -- for repositories --------------------------------------------------------------------------------

    def mark_stored(self, sequence: int, causation_id: str | None) -> None:
        """The pending events were stored at `sequence` (in a commit caused by `causation_id`)."""
        self._pending.clear()
        self._commit_id = None
        self.sequence = sequence
        if causation_id is not None:
            self._causations.add(causation_id)

    def restore(self, events: Iterable[DomainEvent], causations: Iterable[str], sequence: int) -> None:
        """Replay stored history into a fresh instance."""
        for event in events:
            self.apply(event)
        self._causations.update(causations)
        self.sequence = sequence
