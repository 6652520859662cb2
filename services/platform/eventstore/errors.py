"""What can go wrong in the event store, as one family of exceptions.

```
EventStoreError
├── ConcurrencyError        another writer appended to the aggregate first: reload and decide again
├── AggregateNotFoundError  `Repository.get` of an id that has no commit
├── CorruptCommitError      a stored message is not a commit this module can read
├── EventVersionError       an event's schema version does not reach the aggregate's after upcasting
└── StoreUnavailableError   JetStream did not answer (timeouts, no responders) after the retries
```

Infrastructure errors of nats-py are translated at the boundary (`from None` where the cause adds
nothing), so callers catch these and never nats-py's.
"""

__all__ = [
    "AggregateNotFoundError",
    "ConcurrencyError",
    "CorruptCommitError",
    "EventStoreError",
    "EventVersionError",
    "StoreUnavailableError",
]


class EventStoreError(Exception):
    """Base class of the event store's errors."""


class ConcurrencyError(EventStoreError):
    """The aggregate's subject moved on since it was read: `expected` is where the writer thought it was.

    `actual` is the stream sequence of the aggregate's last commit (0: none) as JetStream reported it.
    The write did not happen; the caller reloads the aggregate and runs its decision again.
    """

    def __init__(self, aggregate_id: str, expected: int, actual: int) -> None:
        super().__init__(
            f"aggregate {aggregate_id} was expected at sequence {expected} but is at {actual}: "
            "another writer appended first"
        )
        self.aggregate_id = aggregate_id
        self.expected = expected
        self.actual = actual


class AggregateNotFoundError(EventStoreError):
    """No commit was ever stored for this aggregate id."""

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(f"aggregate {aggregate_id} not found")
        self.aggregate_id = aggregate_id


class CorruptCommitError(EventStoreError):
    """A message on an aggregate's subject is not a commit (bad JSON, missing fields, another id)."""

    def __init__(self, subject: str, sequence: int, reason: str) -> None:
        super().__init__(f"message {sequence} on {subject} is not a readable commit: {reason}")
        self.subject = subject
        self.sequence = sequence
        self.reason = reason


class EventVersionError(EventStoreError):
    """After upcasting, an event is not at the schema version the aggregate applies.

    Lower: an upcaster is missing. Higher: the event was written by a newer release than this one.
    """

    def __init__(self, event_type: str, version: int, expected: int) -> None:
        super().__init__(
            f"event {event_type} is at schema version {version} after upcasting, "
            f"the aggregate applies version {expected}"
        )
        self.event_type = event_type
        self.version = version
        self.expected = expected


class StoreUnavailableError(EventStoreError):
    """JetStream did not answer an event store request in time, or nothing serves the stream."""
