"""Units of work: everything commits together or nothing does, on SQL and in memory."""

from uuid import UUID, uuid4

import pytest
from sqlalchemy import select

from a4co_sdk._runtime.publishing import OutgoingMessage
from services.platform.database import Database
from services.platform.inbox import processed_messages
from services.platform.outbox import outbox
from services.platform.unit_of_work import (
    FakeUnitOfWork,
    NoUnitOfWorkError,
    SqlUnitOfWork,
    UnitOfWork,
    current_unit_of_work,
    use_unit_of_work,
)


def message() -> OutgoingMessage:
    return OutgoingMessage("test.out", b"{}", {}, uuid4(), "TEST")


class Waker:
    def __init__(self) -> None:
        self.woken = 0

    def wake(self) -> None:
        self.woken += 1


async def work_then_fail(uow: UnitOfWork, seen: UUID | None = None) -> None:
    """Claim one new id (and `seen`, already processed) and publish one message, then fail."""
    async with uow:
        new = uuid4()
        assert await uow.claim("orders", [new] if seen is None else [seen, new]) == {new}
        uow.publish(message())
        raise RuntimeError("boom")


async def test_a_sql_unit_commits_its_messages_and_claims_together_and_wakes_the_relay(db: Database) -> None:
    waker = Waker()
    sent, claimed = message(), uuid4()
    async with SqlUnitOfWork(db, waker) as uow:  # type: ignore[arg-type]  # only wake() is used
        assert await uow.claim("orders", [claimed]) == {claimed}
        uow.publish(sent)
    assert waker.woken == 1
    async with db.transaction() as session:
        assert (await session.execute(select(outbox.c.message_id))).scalars().all() == [sent.message_id]
        assert (await session.execute(select(processed_messages.c.message_id))).scalars().all() == [claimed]


async def test_a_sql_unit_that_fails_leaves_nothing_and_wakes_nobody(db: Database) -> None:
    waker = Waker()
    with pytest.raises(RuntimeError, match="boom"):
        await work_then_fail(SqlUnitOfWork(db, waker))  # type: ignore[arg-type]  # only wake() is used
    assert waker.woken == 0
    async with db.transaction() as session:
        assert (await session.execute(select(outbox.c.message_id))).all() == []
        assert (await session.execute(select(processed_messages.c.message_id))).all() == []


async def test_a_sql_unit_is_used_inside_async_with_only(db: Database) -> None:
    uow = SqlUnitOfWork(db)
    with pytest.raises(RuntimeError, match="not open"):
        uow.publish(message())
    async with uow:
        with pytest.raises(RuntimeError, match="already open"):
            await uow.__aenter__()
    async with uow:  # reusable once closed
        pass


async def test_the_fake_unit_keeps_what_committed_units_left_and_forgets_rolled_back_ones() -> None:
    fake = FakeUnitOfWork()
    kept, first = message(), uuid4()
    async with fake as uow:
        assert await uow.claim("orders", [first, first]) == {first}
        uow.publish(kept)
        uow.publish(kept)
    assert fake.committed
    with pytest.raises(RuntimeError, match="boom"):
        await work_then_fail(fake, first)
    assert not fake.committed
    assert fake.published == [kept]
    assert fake.claimed == {"orders": {first}}
    assert (fake.commits, fake.rollbacks) == (1, 1)
    with pytest.raises(NotImplementedError, match="fake repositories"):
        _ = fake.session


async def test_handlers_reach_the_current_unit_of_work() -> None:
    with pytest.raises(NoUnitOfWorkError):
        current_unit_of_work()
    fake = FakeUnitOfWork()
    with use_unit_of_work(fake):
        assert current_unit_of_work() is fake
        assert current_unit_of_work(FakeUnitOfWork) is fake
        with pytest.raises(TypeError, match="not a SqlUnitOfWork"):
            current_unit_of_work(SqlUnitOfWork)
    with pytest.raises(NoUnitOfWorkError):
        current_unit_of_work()


def test_the_port_is_abstract() -> None:
    with pytest.raises(TypeError, match="abstract"):
        UnitOfWork()  # type: ignore[abstract]  # the point of the test
