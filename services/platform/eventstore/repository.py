"""The repository port: get an aggregate by id, save what it decided.

`save(aggregate, causation_id, outbox)` writes ONE commit: the aggregate's pending events, the id of the
message that caused them, and the integration messages to publish. That is the whole "no dual write"
story for a handler: there is nothing else to write, and the relay publishes the outbox later.

Loaded histories are cached in process by aggregate id, with the sequence they were read at, so a hot
aggregate (an order going through its saga) is not re-read from the stream for every message. A cached
history may be stale when another process wrote to the same aggregate; the save then fails with
`ConcurrencyError` (JetStream checks the sequence), the entry is dropped, and the next `get` reads the
stream again, at least up to the sequence the conflict reported. The caller runs its decision again on
the fresh state. `get` rebuilds a new instance from the cached events each time, so a decision that
fails halfway never leaves a half-changed aggregate in the cache.

`Repository` is the ABC (the port); `JetStreamRepository` is the adapter, `InMemoryRepository` (in
`memory`) the fake for unit tests, which behaves the same, conflicts included.
"""

from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from uuid import UUID

from a4co_sdk._runtime.publishing import OutgoingMessage

from .aggregate import Aggregate
from .commit import Commit, DomainEvent, OutboxMessage
from .errors import AggregateNotFoundError, ConcurrencyError
from .store import Appended, EventStore, LoadedStream
from .upcasting import Upcasters, upcast

__all__ = ["JetStreamRepository", "Repository"]

A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True, slots=True)
class _History:
    """An aggregate's stored history, upcast: what a fresh instance replays."""

    events: tuple[DomainEvent, ...]
    causations: frozenset[str]
    sequence: int


class Repository(ABC, Generic[A]):
    """Aggregates of one type by id, with a cache of their histories."""

    def __init__(
        self, aggregate: type[A], *, upcasters: Upcasters | None = None, cache_size: int = 10_000
    ) -> None:
        self._aggregate = aggregate
        self._upcasters: Upcasters = upcasters or {}
        self._cache_size = cache_size
        self._cache: OrderedDict[str, _History] = OrderedDict()
        self._floors: dict[str, int] = {}
        self.cache_hits = 0
        self.loads = 0

    async def get(self, aggregate_id: str | UUID) -> A:
        """The aggregate with every stored event applied; AggregateNotFoundError when it has none."""
        aggregate = await self.find(aggregate_id)
        if aggregate is None:
            raise AggregateNotFoundError(str(aggregate_id))
        return aggregate

    async def find(self, aggregate_id: str | UUID) -> A | None:
        """The aggregate, or None when nothing was ever stored for this id."""
        key = str(aggregate_id)
        history = self._cache.get(key)
        if history is not None:
            self._cache.move_to_end(key)
            self.cache_hits += 1
        else:
            loaded = await self._load(key, self._floors.get(key, 0))
            self.loads += 1
            self._floors.pop(key, None)
            history = self._history(loaded)
            if history.sequence:
                self._remember(key, history)
        if not history.sequence:
            return None
        aggregate = self._aggregate(key)
        aggregate.restore(history.events, history.causations, history.sequence)
        return aggregate

    async def save(
        self,
        aggregate: A,
        causation_id: str | UUID | None = None,
        outbox: Sequence[OutgoingMessage | OutboxMessage] = (),
    ) -> int | None:
        """Store the aggregate's pending events and `outbox` as one commit; returns its sequence.

        Raises ConcurrencyError when the aggregate changed since it was read. Nothing to store (no event,
        no message) writes nothing and returns None.
        """
        events = aggregate.pending_events
        if not events and not outbox:
            return None
        cause = str(causation_id) if causation_id is not None else None
        commit = Commit(
            aggregate_id=aggregate.id,
            aggregate_type=aggregate.aggregate_type,
            events=events,
            outbox=tuple(
                m if isinstance(m, OutboxMessage) else OutboxMessage.from_outgoing(m) for m in outbox
            ),
            causation_id=cause,
            commit_id=aggregate.pending_commit_id,
        )
        expected = aggregate.sequence
        try:
            appended = await self._append(aggregate.id, commit, expected)
        except ConcurrencyError as exc:
            self.invalidate(aggregate.id)
            self._floors[aggregate.id] = exc.actual
            raise
        aggregate.mark_stored(appended.sequence, cause)
        self._extend(aggregate.id, expected, events, cause, appended.sequence)
        return appended.sequence

    def invalidate(self, aggregate_id: str | UUID) -> None:
        """Forget the cached history: the next `get` reads the stream."""
        self._cache.pop(str(aggregate_id), None)

    @abstractmethod
    async def _load(self, aggregate_id: str, at_least: int) -> LoadedStream:
        """Every commit of the aggregate (at least up to `at_least` when it is known to exist)."""

    @abstractmethod
    async def _append(self, aggregate_id: str, commit: Commit, expected_sequence: int) -> Appended:
        """Store the commit if the aggregate is at `expected_sequence`, else raise ConcurrencyError."""

    # -- cache ---------------------------------------------------------------------------------------------

    def _history(self, loaded: LoadedStream) -> _History:
        events: list[DomainEvent] = []
        causations: set[str] = set()
        for commit in loaded.commits:
            events.extend(
                upcast(e, self._upcasters, self._aggregate.current_version(e.type)) for e in commit.events
            )
            if commit.causation_id is not None:
                causations.add(commit.causation_id)
        return _History(tuple(events), frozenset(causations), loaded.last_sequence)

    def _remember(self, key: str, history: _History) -> None:
        if self._cache_size <= 0:
            return
        self._cache[key] = history
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _extend(
        self, key: str, expected: int, events: tuple[DomainEvent, ...], cause: str | None, sequence: int
    ) -> None:
        """Add a stored commit to the cached history, when the cache held exactly what it followed."""
        cached = self._cache.get(key)
        if expected == 0:
            base = _History((), frozenset(), 0)
        elif cached is not None and cached.sequence == expected:
            base = cached
        else:  # evicted, or another instance of this aggregate saved in between: read it next time
            self.invalidate(key)
            return
        causations = base.causations | {cause} if cause is not None else base.causations
        self._remember(key, _History(base.events + events, causations, sequence))


class JetStreamRepository(Repository[A]):
    """Aggregates stored in a JetStream event store."""

    def __init__(
        self,
        store: EventStore,
        aggregate: type[A],
        *,
        upcasters: Upcasters | None = None,
        cache_size: int = 10_000,
    ) -> None:
        super().__init__(aggregate, upcasters=upcasters, cache_size=cache_size)
        self.store = store

    async def _load(self, aggregate_id: str, at_least: int) -> LoadedStream:
        return await self.store.load(aggregate_id, at_least=at_least)

    async def _append(self, aggregate_id: str, commit: Commit, expected_sequence: int) -> Appended:
        return await self.store.append(aggregate_id, commit, expected_sequence)
