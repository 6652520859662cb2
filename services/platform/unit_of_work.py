"""The unit of work: one transaction holding a handler's state changes, inbox claims and outgoing messages.

Handlers depend on the `UnitOfWork` port only; `SqlUnitOfWork` runs it on the service's database and
`FakeUnitOfWork` in memory for unit tests. Either everything a unit did commits together or nothing
does, so a message is never published for a change that rolled back, and a message is never recorded
as processed without its effects.

Generated handler methods have the signature the contract gives them, `(message, received)`, with no
room for a unit of work; the batch that runs them puts its unit of work in a context variable, and
`current_unit_of_work()` hands it to the handler.
"""

import abc
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from types import TracebackType
from typing import Self, TypeVar, overload
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from a4co_sdk._runtime.publishing import OutgoingMessage

from . import inbox, outbox
from .database import Database

__all__ = [
    "FakeUnitOfWork",
    "NoUnitOfWorkError",
    "SqlUnitOfWork",
    "UnitOfWork",
    "current_unit_of_work",
    "use_unit_of_work",
]

U = TypeVar("U", bound="UnitOfWork")


class UnitOfWork(abc.ABC):
    """One transaction: `async with uow:` commits on a clean exit and rolls back on an error.

    Handlers use `session` (through their repositories), `publish` and `claim`; the code that opened the
    unit (a batch, an HTTP endpoint) owns its end, so handlers never commit.
    """

    async def __aenter__(self) -> Self:
        await self._begin()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None:
            await self._rollback()
            return
        try:
            await self._commit()
        except BaseException:  # a failed commit (or a cancelled one) must not leave the unit open
            await self._rollback()
            raise

    @property
    @abc.abstractmethod
    def session(self) -> AsyncSession:
        """The transaction's session, for repositories."""

    @abc.abstractmethod
    def publish(self, message: OutgoingMessage) -> None:
        """Send `message` if and when this unit commits (prepare it with the SDK's `Publisher.prepare`)."""

    @abc.abstractmethod
    async def claim(self, consumer: str, message_ids: Sequence[UUID]) -> set[UUID]:
        """Record the messages as processed by `consumer`; return those not processed before."""

    @abc.abstractmethod
    async def release(self, consumer: str, message_ids: Collection[UUID]) -> None:
        """Undo this unit's `claim` of ids that were not processed after all (only ids it claimed)."""

    @abc.abstractmethod
    async def _begin(self) -> None: ...

    @abc.abstractmethod
    async def _commit(self) -> None: ...

    @abc.abstractmethod
    async def _rollback(self) -> None: ...


class SqlUnitOfWork(UnitOfWork):
    """A unit of work on the service's database; outgoing messages go through the outbox.

    Messages are staged in one INSERT just before the commit, and the relay is woken after it, so they
    leave at once instead of at the relay's next sweep.
    """

    def __init__(self, db: Database, relay: outbox.OutboxRelay | None = None) -> None:
        self._db = db
        self._relay = relay
        self._session: AsyncSession | None = None
        self._outgoing: list[OutgoingMessage] = []

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use `async with uow:`")
        return self._session

    def publish(self, message: OutgoingMessage) -> None:
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use `async with uow:`")
        self._outgoing.append(message)

    async def claim(self, consumer: str, message_ids: Sequence[UUID]) -> set[UUID]:
        return await inbox.claim(self.session, consumer, message_ids)

    async def release(self, consumer: str, message_ids: Collection[UUID]) -> None:
        await inbox.release(self.session, consumer, message_ids)

    async def _begin(self) -> None:
        if self._session is not None:
            raise RuntimeError("the unit of work is already open")
        self._session = self._db.session()
        self._outgoing = []

    async def _commit(self) -> None:
        session = self.session
        staged = bool(self._outgoing)
        await outbox.stage_all(session, self._outgoing)
        await session.commit()
        await self._close()
        if staged and self._relay is not None:
            self._relay.wake()

    async def _rollback(self) -> None:
        if self._session is None:
            return
        try:
            await self._session.rollback()
        finally:
            await self._close()

    async def _close(self) -> None:
        session, self._session, self._outgoing = self._session, None, []
        if session is not None:
            await session.close()


class FakeUnitOfWork(UnitOfWork):
    """In memory, for unit tests. One instance is the whole "database": reuse it across units.

    `published` and `claimed` hold what committed units left; a rolled-back unit leaves nothing, as
    with the real one. `committed` tells whether the last unit committed.
    """

    def __init__(self) -> None:
        self.published: list[OutgoingMessage] = []
        self.claimed: dict[str, set[UUID]] = {}
        self.committed = False
        self.commits = 0
        self.rollbacks = 0
        self._open = False
        self._outgoing: list[OutgoingMessage] = []
        self._claims: dict[str, set[UUID]] = {}

    @property
    def session(self) -> AsyncSession:
        raise NotImplementedError("FakeUnitOfWork has no database: give the handler fake repositories")

    def publish(self, message: OutgoingMessage) -> None:
        self._check_open()
        self._outgoing.append(message)

    async def claim(self, consumer: str, message_ids: Sequence[UUID]) -> set[UUID]:
        self._check_open()
        done = self.claimed.get(consumer, set()) | self._claims.get(consumer, set())
        new = set(message_ids) - done
        self._claims.setdefault(consumer, set()).update(new)
        return new

    async def release(self, consumer: str, message_ids: Collection[UUID]) -> None:
        self._check_open()
        self._claims.get(consumer, set()).difference_update(message_ids)

    def _check_open(self) -> None:
        if not self._open:
            raise RuntimeError("the unit of work is not open: use `async with uow:`")

    async def _begin(self) -> None:
        if self._open:
            raise RuntimeError("the unit of work is already open")
        self._open, self.committed = True, False
        self._outgoing, self._claims = [], {}

    async def _commit(self) -> None:
        known = {m.message_id for m in self.published}
        for message in self._outgoing:  # staging is idempotent, as in the outbox
            if message.message_id not in known:
                known.add(message.message_id)
                self.published.append(message)
        for consumer, ids in self._claims.items():
            self.claimed.setdefault(consumer, set()).update(ids)
        self._open, self.committed = False, True
        self.commits += 1

    async def _rollback(self) -> None:
        self._open, self.committed = False, False
        self._outgoing, self._claims = [], {}
        self.rollbacks += 1


_current: ContextVar[UnitOfWork | None] = ContextVar("a4co_unit_of_work", default=None)


class NoUnitOfWorkError(RuntimeError):
    """A handler asked for the unit of work outside a unit of work (not run by `transactional_batch`)."""


@contextmanager
def use_unit_of_work(uow: UnitOfWork) -> Iterator[UnitOfWork]:
    """Make `uow` the one `current_unit_of_work()` returns in this context."""
    token = _current.set(uow)
    try:
        yield uow
    finally:
        _current.reset(token)


@overload
def current_unit_of_work() -> UnitOfWork: ...
@overload
def current_unit_of_work(kind: type[U]) -> U: ...
def current_unit_of_work(kind: type[UnitOfWork] = UnitOfWork) -> UnitOfWork:
    """The unit of work the running handler belongs to; `kind` narrows it to a service's own subclass."""
    uow = _current.get()
    if uow is None:
        raise NoUnitOfWorkError(
            "no unit of work: this code runs outside transactional_batch/use_unit_of_work"
        )
    if not isinstance(uow, kind):
        raise TypeError(f"the current unit of work is a {type(uow).__name__}, not a {kind.__name__}")
    return uow
