"""One SQL database per service: SQLite by default, PostgreSQL in production, through SQLAlchemy 2 async.

The same table definitions run on both. A service gets its own SQLite file
(`sqlite+aiosqlite:///.run/orders.db`) or its own schema in a shared PostgreSQL database
(`postgresql+asyncpg://…`, `search_path` set per connection), so tables are written unqualified and
no service can read another's tables by accident.

Every module registers its tables on the one shared `metadata` (`Database.metadata`): the inbox, the
outbox and each service's own tables. `create_all()` creates what is registered when it is called, so
import the modules that define tables before calling it.
"""

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Self

from sqlalchemy import DateTime, Dialect, MetaData, Table, TypeDecorator, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

__all__ = ["Database", "UtcDateTime", "dialect_insert", "metadata"]

log = logging.getLogger(__name__)

metadata = MetaData(
    # Stable constraint names, so a future migration tool can refer to them on both databases.
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_READ_ONLY = "a4co_read_only"
SQLITE_BUSY_TIMEOUT_MS = 5_000

# WAL lets readers go on while one connection writes. synchronous=NORMAL syncs the WAL at checkpoints
# instead of at every commit: a power cut (not a process crash) can lose the last transactions, never
# corrupt the file. That is safe here because nothing is lost that cannot be had again: a message is
# acknowledged to JetStream only after its transaction commits, so a lost transaction means a message
# the broker redelivers, and the inbox recognises what was already done; a lost outbox row belongs to a
# lost transaction whose trigger is redelivered too.
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys=ON",
)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases.

    PostgreSQL stores `timestamptz`; SQLite has no timezone, so the value is stored as naive UTC and
    comes back aware. Naive datetimes are refused: their meaning depends on the machine.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware one (datetime.now(UTC))")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002 - SQLAlchemy's signature
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def dialect_insert(session: AsyncSession, table: Table) -> postgresql.Insert | sqlite.Insert:
    """INSERT for the session's database, with its ON CONFLICT DO NOTHING (both have it, and RETURNING)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _sqlite_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # The driver's own transaction handling begins transactions lazily, before the first write only, so
    # a read-then-write would read outside the transaction. Turn it off and begin in `_sqlite_begin`.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # BEGIN IMMEDIATE takes the write lock at the start, so concurrent writers queue on busy_timeout.
    # A deferred BEGIN that later writes fails with SQLITE_BUSY at once when another connection wrote in
    # between (busy_timeout cannot help there). Transactions that only read do not need the lock.
    mode = "DEFERRED" if connection.get_execution_options().get(_READ_ONLY) else "IMMEDIATE"
    connection.exec_driver_sql(f"BEGIN {mode}")


def _sqlite_engine(url: URL, *, echo: bool) -> AsyncEngine:
    if url.database in (None, "", ":memory:"):
        raise ValueError("SQLite needs a file: every pooled connection would get its own :memory:")
    Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    # Writers take turns anyway (one write lock per file); a few connections let reads (the relay's
    # sweep, the readiness probe) go on beside a writer.
    engine = create_async_engine(url, echo=echo, pool_size=4, max_overflow=4, pool_timeout=10)
    event.listen(engine.sync_engine, "connect", _sqlite_connect)
    event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def _postgres_engine(url: URL, schema: str, *, echo: bool) -> AsyncEngine:
    return create_async_engine(
        url,
        echo=echo,
        pool_size=5,
        max_overflow=10,
        pool_timeout=10,
        pool_recycle=1800,  # before proxies and firewalls drop idle connections
        pool_pre_ping=True,  # a restarted server costs one failed checkout, not one failed request
        connect_args={
            "timeout": 10,
            "server_settings": {
                # Only the service's schema: unqualified names resolve there and nowhere else.
                "search_path": schema,
                "application_name": f"a4co-{schema}",
                "statement_timeout": "30000",
                "idle_in_transaction_session_timeout": "60000",
            },
        },
    )


class Database:
    """A service's database: an engine with its pool, and transactions over it.

    No migration tool yet: the schema is young and every service owns its tables, so `create_all()`
    (CREATE TABLE IF NOT EXISTS) is enough while tables only get added. The first change to an existing
    table brings in Alembic, starting from these definitions and the stable constraint names of
    `metadata`.
    """

    metadata: ClassVar[MetaData] = metadata

    def __init__(self, engine: AsyncEngine, *, schema: str) -> None:
        self.engine = engine
        self.schema = schema
        self._writer = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
        self._reader = async_sessionmaker(
            engine.execution_options(**{_READ_ONLY: True}), expire_on_commit=False, autoflush=False
        )

    @classmethod
    async def open(cls, url: str, *, schema: str, echo: bool = False) -> Self:
        """Open the service's database: its SQLite file, or its schema (created if missing) on PostgreSQL.

        `schema` is the service's name. On SQLite the file is the service's own and `schema` only names
        it in logs.
        """
        if not _SCHEMA_NAME.match(schema):
            raise ValueError(f"schema {schema!r}: use lower-case letters, digits and _ (at most 63)")
        parsed = make_url(url)
        backend = parsed.get_backend_name()
        if backend == "sqlite":
            engine = _sqlite_engine(parsed, echo=echo)
        elif backend == "postgresql":
            engine = _postgres_engine(parsed, schema, echo=echo)
        else:
            raise ValueError(f"unsupported database {backend!r}: use sqlite+aiosqlite or postgresql+asyncpg")
        db = cls(engine, schema=schema)
        if backend == "postgresql":
            try:
                await db._create_schema()
            except BaseException:
                await engine.dispose()
                raise
        return db

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    async def _create_schema(self) -> None:
        async with self.engine.begin() as conn:
            # Replicas starting together would race on the catalog; the lock makes them take turns.
            await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('a4co.schema'))"))
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))

    async def create_all(self) -> None:
        """Create the registered tables that do not exist yet (existing ones are left as they are)."""
        async with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('a4co.schema'))"))
            await conn.run_sync(self.metadata.create_all)

    def session(self) -> AsyncSession:
        """A new session for a unit of work that manages its own commit and rollback."""
        return self._writer()

    @asynccontextmanager
    async def transaction(self, *, read_only: bool = False) -> AsyncIterator[AsyncSession]:
        """`async with db.transaction() as session:` commits on exit and rolls back on an error.

        `read_only=True` promises not to write: on SQLite it then does not take the write lock.
        """
        maker = self._reader if read_only else self._writer
        async with maker() as session, session.begin():
            yield session

    async def ping(self, *, timeout: float = 2.0) -> bool:  # noqa: ASYNC109 - a probe bounds its own wait
        """Readiness: True when a query round trip succeeds within `timeout` seconds."""
        try:
            async with asyncio.timeout(timeout), self.transaction(read_only=True) as session:
                await session.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - a probe answers, it does not raise
            log.warning("database %s is not ready: %s: %s", self.schema, type(exc).__name__, exc)
            return False
        return True

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
