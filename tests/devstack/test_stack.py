"""`Stack`: the servers of one run, the run directory, and the environment overrides."""

import json
import os
import signal
import socket
import subprocess

import nats
import pytest
import redis
import redis.asyncio

from a4co.devstack import DevStackError, ServerStartError, Stack
from a4co.devstack.process import reap_orphan

from .helpers import A4CO, children_of_this_process, pid_runs, wait_for

pytestmark = pytest.mark.integration


async def roundtrip_jetstream(url: str, stream: str) -> bytes:
    client = await nats.connect(url, allow_reconnect=False)
    try:
        js = client.jetstream()
        await js.add_stream(name=stream, subjects=[f"{stream.lower()}.>"])
        await js.publish(f"{stream.lower()}.created", b"pedido")
        subscription = await js.pull_subscribe(f"{stream.lower()}.>", durable="reader", stream=stream)
        [message] = await subscription.fetch(1, timeout=5)
        await message.ack_sync()
        await js.delete_stream(stream)
        return message.data
    finally:
        await client.close()


async def roundtrip_redis(url: str) -> bytes | None:
    client = redis.asyncio.Redis.from_url(url)
    try:
        await client.set("stack:check", "ok")
        value = await client.get("stack:check")
        await client.delete("stack:check")
        return value
    finally:
        await client.aclose()


async def test_the_stack_starts_real_servers_that_work_and_stops_them(tmp_path):
    run_dir = tmp_path / "run"
    async with Stack(run_dir, environ={}) as stack:
        assert stack.nats is not None
        assert stack.redis is not None
        pids = [stack.nats.process.pid, stack.redis.process.pid]
        assert all(pid_runs(pid) for pid in pids)
        assert await roundtrip_jetstream(stack.nats_url, "STACK") == b"pedido"
        assert await roundtrip_redis(stack.redis_url) == b"ok"

        for folder in ("nats", "redis", "logs", "data"):
            assert (run_dir / folder).is_dir()
        assert (run_dir / "nats" / "jetstream").is_dir()
        assert (run_dir / "logs" / "nats-server.log").stat().st_size > 0
        assert (run_dir / "logs" / "redis-server.log").stat().st_size > 0
        state = json.loads((run_dir / "stack.json").read_text())
        assert state["nats_url"] == stack.nats_url
        assert state["servers"]["nats"]["pid"] == pids[0]
        assert state["servers"]["nats"]["sync_interval"] == "always"
        assert state["servers"]["redis"]["persistent"] is True

        assert stack.database_url is None
        orders = stack.database_url_for("orders")
        assert orders == f"sqlite+aiosqlite:///{run_dir.resolve()}/data/orders.db"
        assert stack.database_url_for("payments") != orders
        assert stack.env_for("orders") == {
            "NATS_URL": stack.nats_url,
            "REDIS_URL": stack.redis_url,
            "DATABASE_URL": orders,
        }
    assert not any(pid_runs(pid) for pid in pids)
    assert not (run_dir / "stack.json").exists()
    assert not (run_dir / "nats" / "nats-server.pid").exists()


async def test_streams_and_redis_data_survive_a_restart_of_the_stack(tmp_path):
    async with Stack(tmp_path, environ={}) as stack:
        client = await nats.connect(stack.nats_url)
        await client.jetstream().add_stream(name="KEPT", subjects=["kept.>"])
        await client.jetstream().publish("kept.one", b"1")
        await client.close()
        with redis.Redis.from_url(stack.redis_url) as r:
            r.set("kept", "yes")
    async with Stack(tmp_path, environ={}) as stack:
        client = await nats.connect(stack.nats_url)
        info = await client.jetstream().stream_info("KEPT")
        await client.close()
        assert info.state.messages == 1
        with redis.Redis.from_url(stack.redis_url) as r:
            assert r.get("kept") == b"yes"


async def test_environment_urls_are_used_and_nothing_is_started(tmp_path, nats_url, redis_url):
    environ = {
        "NATS_URL": nats_url,
        "REDIS_URL": redis_url,
        "DATABASE_URL": "postgresql+asyncpg://u@db:5432/a4co",
    }
    children = children_of_this_process()
    async with Stack(tmp_path / "run", environ=environ) as stack:
        assert stack.nats is None
        assert stack.redis is None
        assert stack.servers == []
        assert children_of_this_process() == children
        assert (stack.nats_url, stack.redis_url) == (nats_url, redis_url)
        assert stack.database_url_for("orders") == environ["DATABASE_URL"]
        assert stack.database_url_for("payments") == environ["DATABASE_URL"]
        assert await roundtrip_jetstream(stack.nats_url, "EXTERNAL") == b"pedido"
        assert await roundtrip_redis(stack.redis_url) == b"ok"
        assert list((tmp_path / "run" / "logs").iterdir()) == []
        assert json.loads((tmp_path / "run" / "stack.json").read_text())["servers"] == {}


def test_one_override_still_starts_the_other_server(tmp_path, nats_url):
    with Stack(tmp_path, environ={"NATS_URL": nats_url}) as stack:
        assert stack.nats is None
        assert stack.redis is not None
        assert stack.redis.is_alive()
        assert stack.nats_url == nats_url


async def test_two_stacks_at_once_get_different_ports(tmp_path):
    async with Stack(tmp_path / "a", environ={}) as a, Stack(tmp_path / "b", environ={}) as b:
        ports = [server.port("client") for server in (*a.servers, *b.servers)]
        ports += [a.nats.port("monitor"), b.nats.port("monitor")]
        assert len(set(ports)) == 6
        assert await roundtrip_jetstream(a.nats_url, "A") == b"pedido"
        assert await roundtrip_jetstream(b.nats_url, "B") == b"pedido"
        assert await roundtrip_redis(a.redis_url) == b"ok"
        assert await roundtrip_redis(b.redis_url) == b"ok"


def test_a_run_directory_serves_one_stack_at_a_time(tmp_path):
    with Stack(tmp_path, environ={}) as first:
        second = Stack(tmp_path, environ={})
        with pytest.raises(DevStackError, match=r"in use by another stack \(pid \d+\)"):
            second.start()
        assert first.nats.is_alive()
        assert not second.nats.is_alive()
    with Stack(tmp_path, environ={}) as third:  # the lock is released on stop
        assert third.nats.is_alive()


def test_a_failed_start_leaves_nothing_running_and_the_directory_free(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        stack = Stack(tmp_path, environ={}, redis_port=taken.getsockname()[1])
        with pytest.raises(ServerStartError, match="redis-server could not listen"):
            stack.start()
    assert stack.nats.has_exited()
    assert not pid_runs(stack.nats.process.pid)
    with Stack(tmp_path, environ={}) as again:
        assert again.redis.is_alive()


def test_bad_settings_are_devstack_errors(tmp_path):
    with pytest.raises(DevStackError, match="bad JetStream sync interval"):
        Stack(tmp_path, environ={"A4CO_NATS_SYNC": "never"})
    stack = Stack(tmp_path, environ={"A4CO_NATS_SYNC": "1s"})
    assert stack.nats.sync == "1s"
    for name in ("../etc/passwd", "Orders", "", "a b"):
        with pytest.raises(DevStackError, match="bad service name"):
            stack.database_url_for(name)


def test_servers_left_by_a_killed_stack_are_stopped_by_the_next_one(tmp_path):
    run_dir = tmp_path / "run"
    env = {key: value for key, value in os.environ.items() if key not in {"NATS_URL", "REDIS_URL"}}
    up = subprocess.Popen(
        [A4CO, "stack", "up", "--run-dir", run_dir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        env=env,
    )
    orphans: list[int] = []
    try:
        wait_for((run_dir / "stack.json").exists, what="the stack to come up")
        state = json.loads((run_dir / "stack.json").read_text())
        orphans = [state["servers"]["nats"]["pid"], state["servers"]["redis"]["pid"]]
        up.send_signal(signal.SIGKILL)
        up.wait(5)
        assert all(pid_runs(pid) for pid in orphans), "kill -9 of the stack leaves its servers running"

        with Stack(run_dir, environ={}) as stack:
            assert not any(pid_runs(pid) for pid in orphans)
            assert stack.nats.process.pid not in orphans
            assert stack.nats.is_alive()
    finally:
        up.kill()
        up.wait()
        # if the assertions failed, the orphans are still ours to stop
        reap_orphan(run_dir / "nats" / "nats-server.pid", str(run_dir / "nats" / "nats.conf"))
        reap_orphan(run_dir / "redis" / "redis-server.pid", str(run_dir / "redis"))
