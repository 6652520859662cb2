"""Shared fixtures: real nats-server (JetStream) and redis-server on free loopback ports.

Session-wide servers start once (about 10-20 ms each) in a temporary directory and stop at the end.
NATS_URL / REDIS_URL point the same fixtures at servers someone else runs; then nothing is started.

- `nats_server` / `redis_server`: the server this session runs, or None when the URL is external.
- `nats_url` / `redis_url`: where to connect, in either case.
- `js`: a connected JetStream context; streams that appear during the test are deleted after it.
- `redis_client`: redis.asyncio on the test database, flushed before and after each test.
- `nats_server_factory` / `redis_server_factory`: private servers for one test, stopped at its end,
  started even when NATS_URL / REDIS_URL are set. Tests that kill or restart a server use these,
  never the shared session servers.

Redis safety: tests use one database index, A4CO_TEST_REDIS_DB (default 15), whichever database
REDIS_URL names, and only ever FLUSHDB that index, never FLUSHALL. On a server this session did not
start, the index must be empty when the first test asks for it; otherwise the session stops there
(exit status 3) rather than flush data it did not write.
"""

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import nats
import pytest
import redis
import redis.asyncio
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from a4co.devstack import SYNC_FAST, NatsServer, RedisServer, resolve_sync

TEST_REDIS_DB = int(os.environ.get("A4CO_TEST_REDIS_DB", "15"))


def _external(name: str) -> str | None:
    return os.environ.get(name) or None


# -- NATS -----------------------------------------------------------------------------------------------


def make_nats_server(root: Path, **options: Any) -> NatsServer:
    """A NatsServer (not started) with its files under `root`; JetStream sync as for tests."""
    root.mkdir(parents=True, exist_ok=True)
    options.setdefault("sync", resolve_sync(SYNC_FAST))
    return NatsServer(
        store_dir=root / "store",
        config_file=root / "nats.conf",
        log_file=root / "nats-server.log",
        **options,
    )


def make_redis_server(root: Path, **options: Any) -> RedisServer:
    """A RedisServer (not started, memory only unless told) with its files under `root`."""
    root.mkdir(parents=True, exist_ok=True)
    return RedisServer(data_dir=root / "data", log_file=root / "redis-server.log", **options)


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer | None]:
    if _external("NATS_URL"):
        yield None
        return
    server = make_nats_server(tmp_path_factory.mktemp("nats"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def nats_url(nats_server: NatsServer | None) -> str:
    return nats_server.url if nats_server is not None else os.environ["NATS_URL"]


@pytest.fixture
def nats_server_factory(tmp_path: Path) -> Iterator[Callable[..., NatsServer]]:
    """Start private nats-servers for one test: `server = nats_server_factory(sync="always")`."""
    servers: list[NatsServer] = []

    def start(**options: Any) -> NatsServer:
        server = make_nats_server(tmp_path / f"nats-{len(servers)}", **options)
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
async def nats_client(nats_url: str) -> AsyncIterator[NatsClient]:
    client = await nats.connect(nats_url, connect_timeout=2, allow_reconnect=False)
    yield client
    await client.close()


async def stream_names(js: JetStreamContext) -> set[str]:
    names: set[str] = set()
    while page := await js.streams_info(offset=len(names)):
        names.update(info.config.name for info in page if info.config.name)
    return names


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    """JetStream on its own connection; deletes every stream created while the test ran.

    With NATS_URL, that server (or account) must be dedicated to tests: a stream someone else creates
    during a test would be deleted too.
    """
    client = await nats.connect(nats_url, connect_timeout=2, allow_reconnect=False)
    context = client.jetstream()
    before = await stream_names(context)
    yield context
    cleaner = client if client.is_connected else await nats.connect(nats_url, connect_timeout=2)
    admin = cleaner.jetstream()
    for name in await stream_names(admin) - before:
        await admin.delete_stream(name)
    await cleaner.close()
    await client.close()


# -- Redis ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer | None]:
    if _external("REDIS_URL"):
        yield None
        return
    server = make_redis_server(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


def _with_test_db(url: str) -> str:
    """REDIS_URL with the test database index in place of whatever database it names."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{TEST_REDIS_DB}"))


@pytest.fixture(scope="session")
def redis_url(redis_server: RedisServer | None) -> Iterator[str]:
    """URL of the test database; on an external server, claimed only when it is empty."""
    if redis_server is not None:
        yield redis_server.url_for_db(TEST_REDIS_DB)
        return
    url = _with_test_db(os.environ["REDIS_URL"])
    with redis.Redis.from_url(url) as client:
        keys = client.dbsize()
        if keys:
            db = client.connection_pool.connection_kwargs.get("db")
            pytest.exit(
                f"REDIS_URL: database {db} holds {keys} keys. The tests flush the database they use and "
                "will not flush data they did not write: set A4CO_TEST_REDIS_DB to an empty database "
                "index, or empty this one yourself.",
                returncode=3,
            )
    yield url
    with redis.Redis.from_url(url) as client:
        client.flushdb()


@pytest.fixture
def redis_server_factory(tmp_path: Path) -> Iterator[Callable[..., RedisServer]]:
    """Start private redis-servers for one test: `server = redis_server_factory(persistent=True)`."""
    servers: list[RedisServer] = []

    def start(**options: Any) -> RedisServer:
        server = make_redis_server(tmp_path / f"redis-{len(servers)}", **options)
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator["redis.asyncio.Redis"]:
    """redis.asyncio on the test database (only that index is ever flushed), empty at the start."""
    client = redis.asyncio.Redis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()
