"""In-memory fakes of the event store and the repository, for unit tests of handlers and aggregates.

They keep the rules that matter to a caller: one sequence across all aggregates (like a stream),
`ConcurrencyError` when the expected sequence is not the aggregate's last, a re-appended commit id
reported as a duplicate, and the outbox kept in commit order. Two repositories sharing one
`InMemoryStore` behave like two processes writing to one stream.
"""

from collections.abc import Iterator
from typing import TypeVar

from .aggregate import Aggregate
from .commit import Commit, OutboxMessage
from .errors import ConcurrencyError
from .repository import Repository
from .store import Appended, LoadedStream
from .upcasting import Upcasters

__all__ = ["InMemoryRepository", "InMemoryStore"]

A = TypeVar("A", bound=Aggregate)


class InMemoryStore:
    """The `EventStore` contract (load, append) on a dict."""

    def __init__(self) -> None:
        self._subjects: dict[str, list[tuple[int, Commit]]] = {}
        self._ids: dict[str, int] = {}
        self.last_sequence = 0

    async def load(self, aggregate_id: str, *, at_least: int = 0) -> LoadedStream:  # noqa: ARG002 - never stale
        stored = self._subjects.get(aggregate_id, [])
        return LoadedStream(aggregate_id, tuple(c for _, c in stored), stored[-1][0] if stored else 0)

    async def append(self, aggregate_id: str, commit: Commit, expected_sequence: int) -> Appended:
        if commit.aggregate_id != aggregate_id:
            raise ValueError(f"commit of aggregate {commit.aggregate_id} appended to {aggregate_id}")
        if (sequence := self._ids.get(commit.commit_id)) is not None:
            return Appended(sequence, duplicate=True)
        stored = self._subjects.setdefault(aggregate_id, [])
        actual = stored[-1][0] if stored else 0
        if actual != expected_sequence:
            raise ConcurrencyError(aggregate_id, expected_sequence, actual)
        commit.encode()  # refuse what the real store would refuse: event data that is not JSON
        self.last_sequence += 1
        stored.append((self.last_sequence, commit))
        self._ids[commit.commit_id] = self.last_sequence
        return Appended(self.last_sequence)

    def commits(self) -> Iterator[Commit]:
        """Every commit in stream order."""
        for _, commit in sorted((pair for pairs in self._subjects.values() for pair in pairs), key=_first):
            yield commit

    def outbox(self) -> list[OutboxMessage]:
        """Every message the relay would publish, in the order it would."""
        return [message for commit in self.commits() for message in commit.outbox]


def _first(pair: tuple[int, Commit]) -> int:
    return pair[0]


class InMemoryRepository(Repository[A]):
    """The repository on an `InMemoryStore` (a new one unless given)."""

    def __init__(
        self,
        aggregate: type[A],
        *,
        store: InMemoryStore | None = None,
        upcasters: Upcasters | None = None,
        cache_size: int = 10_000,
    ) -> None:
        super().__init__(aggregate, upcasters=upcasters, cache_size=cache_size)
        self.store = store if store is not None else InMemoryStore()

    async def _load(self, aggregate_id: str, at_least: int) -> LoadedStream:
        return await self.store.load(aggregate_id, at_least=at_least)

    async def _append(self, aggregate_id: str, commit: Commit, expected_sequence: int) -> Appended:
        return await self.store.append(aggregate_id, commit, expected_sequence)
