"""Databases for the SQL persistence tests: a SQLite file in tmp_path, and PostgreSQL when configured.

PostgreSQL tests need A4CO_TEST_POSTGRES_URL (`postgresql+asyncpg://postgres@127.0.0.1:5432/test` on
this machine kind). Without it they are skipped, or they fail when A4CO_REQUIRE_POSTGRES=1 (CI sets the
URL, so a missing server cannot pass as a skip there). Each test gets its own schema, dropped after it.
"""

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import text

from services.platform import inbox, outbox  # noqa: F401 - registers the platform's tables
from services.platform.database import Database

POSTGRES_URL_ENV = "A4CO_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "A4CO_REQUIRE_POSTGRES"

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def postgres_url() -> str:
    """The PostgreSQL URL, or skip (fail when PostgreSQL is required) with the reason."""
    url = os.environ.get(POSTGRES_URL_ENV)
    if url:
        return url
    reason = f"{POSTGRES_URL_ENV} is not set (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)"
    if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
        pytest.fail(f"{REQUIRE_POSTGRES_ENV}=1 but {reason}")
    pytest.skip(reason)


@asynccontextmanager
async def open_database(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh database of `backend` with the registered tables; removed afterwards."""
    if backend == "sqlite":
        db = await Database.open(f"sqlite+aiosqlite:///{tmp_path / 'service.db'}", schema="testsvc")
    else:
        db = await Database.open(postgres_url(), schema=f"test_{uuid4().hex[:16]}")
    try:
        await db.create_all()
        yield db
    finally:
        if db.dialect == "postgresql":
            async with db.engine.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{db.schema}" CASCADE'))
        await db.close()


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with open_database(request.param, tmp_path) as database:
        yield database


async def eventually(condition: Callable[[], bool], *, within: float = 5.0) -> None:
    """Wait until `condition()` holds, failing after `within` seconds."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - the counters polled here have no event to wait on
            await asyncio.sleep(0.01)
