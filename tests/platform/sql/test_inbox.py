"""The inbox: a message id is claimed once per consumer, in the caller's transaction, batch by batch."""

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from sqlalchemy import event, func, select, update

from services.platform.database import Database
from services.platform.inbox import claim, processed_messages, prune_processed, release


async def test_a_claim_returns_only_the_ids_not_seen_before(db: Database) -> None:
    first, second, third = uuid4(), uuid4(), uuid4()
    async with db.transaction() as session:
        assert await claim(session, "orders", [first, second]) == {first, second}
    async with db.transaction() as session:
        assert await claim(session, "orders", [second, third, first]) == {third}
    async with db.transaction() as session:
        assert await claim(session, "orders", [first, second, third]) == set()


async def test_an_id_given_twice_in_one_batch_is_claimed_once(db: Database) -> None:
    again = uuid4()
    async with db.transaction() as session:
        assert await claim(session, "orders", [again, again]) == {again}
        assert await claim(session, "orders", []) == set()


async def test_consumers_claim_independently(db: Database) -> None:
    message = uuid4()
    async with db.transaction() as session:
        assert await claim(session, "notifications", [message]) == {message}
        assert await claim(session, "analytics", [message]) == {message}
        assert await claim(session, "analytics", [message]) == set()


async def claim_then_fail(db: Database, message: UUID) -> None:
    async with db.transaction() as session:
        assert await claim(session, "orders", [message]) == {message}
        raise RuntimeError("the handler failed")


async def test_a_rolled_back_claim_leaves_nothing(db: Database) -> None:
    message = uuid4()
    with pytest.raises(RuntimeError, match="the handler failed"):
        await claim_then_fail(db, message)
    async with db.transaction() as session:
        assert await claim(session, "orders", [message]) == {message}


async def test_a_batch_of_500_is_claimed_in_one_statement(db: Database) -> None:
    ids = [uuid4() for _ in range(500)]
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with db.transaction() as session:
            assert await claim(session, "orders", ids) == set(ids)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
    inserts = [s for s in statements if s.startswith("INSERT")]
    assert len(inserts) == 1
    assert "ON CONFLICT" in inserts[0]
    assert "RETURNING" in inserts[0]


async def test_pruning_deletes_old_records_in_batches_and_keeps_recent_ones(db: Database) -> None:
    old = [uuid4() for _ in range(25)]
    recent = [uuid4() for _ in range(5)]
    async with db.transaction() as session:
        await claim(session, "orders", old + recent)
        await session.execute(
            update(processed_messages)
            .where(processed_messages.c.message_id.in_(old))
            .values(processed_at=datetime.now(UTC) - timedelta(days=8))
        )
    assert await prune_processed(db, days=7, batch=10) == 25
    async with db.transaction() as session:
        left = await session.execute(select(func.count()).select_from(processed_messages))
        assert left.scalar_one() == 5
        assert await claim(session, "orders", recent) == set()


async def test_a_batch_with_copies_and_ids_claimed_before_returns_each_new_id_once(db: Database) -> None:
    earlier = [uuid4() for _ in range(100)]
    async with db.transaction() as session:
        assert await claim(session, "orders", earlier) == set(earlier)
    new = [uuid4() for _ in range(400)]
    batch = [*new, *earlier, *new[:50], *earlier[:10]]  # copies inside the batch, and of earlier batches
    async with db.transaction() as session:
        assert await claim(session, "orders", batch) == set(new)
    async with db.transaction(read_only=True) as session:
        stored = select(func.count()).select_from(processed_messages)
        assert (await session.execute(stored)).scalar_one() == 500
        # Stored as SQLAlchemy stores a Uuid, so ordinary queries on the column find the ids.
        found = select(processed_messages.c.message_id).where(processed_messages.c.message_id.in_(new[:3]))
        assert set((await session.execute(found)).scalars()) == set(new[:3])


async def test_a_released_claim_is_free_again_and_the_others_stay(db: Database) -> None:
    kept, released = uuid4(), uuid4()
    async with db.transaction() as session:
        assert await claim(session, "orders", [kept, released]) == {kept, released}
        await release(session, "orders", {released})
        await release(session, "orders", set())
    async with db.transaction() as session:
        assert await claim(session, "orders", [kept, released]) == {released}


async def test_release_frees_only_the_consumer_it_names(db: Database) -> None:
    message = uuid4()
    async with db.transaction() as session:
        await claim(session, "orders", [message])
        await claim(session, "analytics", [message])
        await release(session, "analytics", [message])
    async with db.transaction() as session:
        assert await claim(session, "orders", [message]) == set()
        assert await claim(session, "analytics", [message]) == {message}
