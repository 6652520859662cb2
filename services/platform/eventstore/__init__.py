"""The event store of the event-sourced aggregates (orders, payments) on JetStream, with no dual write.

Storage: the private stream of the aggregate type (ES_ORDERS `es.order.>`, ES_PAYMENTS `es.payment.>`)
holds one subject per aggregate, `es.<type>.<aggregate id>`. Each append is ONE message, a *commit*
(`commit.Commit`, its JSON format documented in `commit`): the domain events of one decision together
with the integration messages that decision must publish (the outbox). The commit is atomic, so the
event store is its own outbox and nothing else is written: the eventsourcing library's "notification log
as outbox", with JetStream's stream sequence as the log position.

- `EventStore(js, stream, subject_prefix)`: `load(id)` reads the aggregate's commits in order (batched
  direct gets, or the stream leader when the stream has no `allow_direct`); `append(id, commit,
  expected_sequence)` stores a commit only if the aggregate is still where the writer read it
  (`Nats-Expected-Last-Subject-Sequence`), else `ConcurrencyError`; the commit id is the `Nats-Msg-Id`,
  and a retried append of the same commit is recognised.
- `Aggregate`, `@when`: state rebuilt from events; `causations` makes handlers idempotent from the
  aggregate's own history. `upcasting`: old event versions read as the current one.
- `Repository` (port), `JetStreamRepository`, `InMemoryRepository` (fake): `get`/`find`/`save`, with an
  in-process cache of histories invalidated on `ConcurrencyError`.
- `Relay`: follows the stream with a durable pull consumer and publishes each commit's outbox to the
  public streams, in order, acknowledging a commit only once its whole outbox is stored.

Contract note: batched direct gets need `allow_direct: true` on the ES streams (`StreamSpec.allow_direct`
in the contract's `x-jetstream`). The store asks the server rather than the spec, so a stream provisioned
without it is read from its leader: correct, slower beyond a few commits (see `_reading`).
"""

from .aggregate import Aggregate, when
from .commit import FORMAT, Commit, DomainEvent, MalformedCommitError, NewerFormatError, OutboxMessage
from .errors import (
    AggregateNotFoundError,
    ConcurrencyError,
    CorruptCommitError,
    EventStoreError,
    EventVersionError,
    StoreUnavailableError,
)
from .memory import InMemoryRepository, InMemoryStore
from .relay import OnRelayed, Relay, RelayConfig, RelayedCommit, RelayStats
from .repository import JetStreamRepository, Repository
from .store import Appended, EventStore, LoadedStream
from .upcasting import Upcaster, Upcasters, upcast

__all__ = [
    "FORMAT",
    "Aggregate",
    "AggregateNotFoundError",
    "Appended",
    "Commit",
    "ConcurrencyError",
    "CorruptCommitError",
    "DomainEvent",
    "EventStore",
    "EventStoreError",
    "EventVersionError",
    "InMemoryRepository",
    "InMemoryStore",
    "JetStreamRepository",
    "LoadedStream",
    "MalformedCommitError",
    "NewerFormatError",
    "OnRelayed",
    "OutboxMessage",
    "Relay",
    "RelayConfig",
    "RelayStats",
    "RelayedCommit",
    "Repository",
    "StoreUnavailableError",
    "Upcaster",
    "Upcasters",
    "upcast",
    "when",
]
