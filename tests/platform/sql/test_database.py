"""Database: connection settings, transactions, the readiness probe and one schema per service."""

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import create_async_engine

from services.platform.database import Database, UtcDateTime

from .conftest import open_database, postgres_url

scratch = MetaData()
notes = Table(
    "notes", scratch, Column("id", Integer, primary_key=True), Column("at", UtcDateTime, nullable=True)
)


async def create_scratch(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(scratch.create_all)


async def test_sqlite_connections_use_wal_normal_sync_a_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    async with open_database("sqlite", tmp_path) as db, db.transaction() as session:
        values = [
            (await session.execute(text(f"PRAGMA {name}"))).scalar_one()
            for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
        ]
    assert values == ["wal", 1, 5000, 1]  # synchronous 1 = NORMAL


async def test_sqlite_needs_a_file_and_creates_its_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SQLite needs a file"):
        await Database.open("sqlite+aiosqlite:///:memory:", schema="orders")
    db = await Database.open(f"sqlite+aiosqlite:///{tmp_path / 'run' / 'orders.db'}", schema="orders")
    assert await db.ping()
    await db.close()
    assert (tmp_path / "run" / "orders.db").exists()


@pytest.mark.parametrize("schema", ["Orders", "orders; drop table x", "", "x" * 64])
async def test_a_schema_name_must_be_a_plain_identifier(schema: str) -> None:
    with pytest.raises(ValueError, match="lower-case letters"):
        await Database.open("sqlite+aiosqlite:///unused.db", schema=schema)


async def test_other_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database 'mysql'"):
        await Database.open("mysql+aiomysql://localhost/x", schema="orders")


async def insert_then_fail(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(insert(notes).values(id=2))
        raise RuntimeError("boom")


async def test_a_transaction_commits_on_exit_and_rolls_back_on_an_error(db: Database) -> None:
    await create_scratch(db)
    async with db.transaction() as session:
        await session.execute(insert(notes).values(id=1))
    with pytest.raises(RuntimeError, match="boom"):
        await insert_then_fail(db)
    async with db.transaction(read_only=True) as session:
        assert (await session.execute(select(notes.c.id))).scalars().all() == [1]


async def test_datetimes_are_stored_and_read_as_aware_utc(db: Database) -> None:
    await create_scratch(db)
    madrid = datetime(2026, 11, 23, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    async with db.transaction() as session:
        await session.execute(insert(notes).values(id=1, at=madrid))
    async with db.transaction() as session:
        stored = (await session.execute(select(notes.c.at))).scalar_one()
        assert stored == madrid
        assert stored.tzinfo == UTC
        with pytest.raises(StatementError, match="naive datetime"):
            await session.execute(insert(notes).values(id=2, at=datetime(2026, 1, 1)))  # noqa: DTZ001


async def test_ping_says_whether_the_database_answers(tmp_path: Path) -> None:
    db = await Database.open(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", schema="orders")
    assert await db.ping()
    await db.close()
    (tmp_path / "a.db").unlink()
    (tmp_path / "a.db").mkdir()  # a folder where the file was: nothing can open it
    broken = await Database.open(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", schema="orders")
    assert not await broken.ping()
    await broken.close()


@pytest.mark.postgres
async def test_each_service_gets_its_own_postgres_schema_and_unqualified_names_resolve_there(
    tmp_path: Path,
) -> None:
    postgres_url()
    async with (
        open_database("postgresql", tmp_path) as first,
        open_database("postgresql", tmp_path) as second,
    ):
        await create_scratch(first)
        await create_scratch(second)
        async with first.transaction() as session:
            await session.execute(insert(notes).values(id=1))
            path = (await session.execute(text("SHOW search_path"))).scalar_one()
            assert path == first.schema
        async with second.transaction() as session:
            assert (await session.execute(select(notes.c.id))).all() == []
        async with first.transaction() as session:
            tables = await session.execute(
                text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
                {"s": first.schema},
            )
            assert {"notes", "outbox", "processed_messages"} <= set(tables.scalars())
    assert first.dialect == "postgresql"


@pytest.mark.postgres
async def test_ping_fails_when_postgres_is_unreachable() -> None:
    postgres_url()
    # open() would fail at once (it creates the schema): a service does not start without its database.
    db = Database(create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:9/test"), schema="orders")
    assert not await db.ping(timeout=2)
    await db.close()
