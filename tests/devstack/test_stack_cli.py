"""`a4co stack up`, run as a person runs it: a real process, stopped with Ctrl-C (SIGINT) or SIGTERM."""

import json
import os
import signal
import socket
import subprocess

import pytest
import redis

from .helpers import A4CO, pid_runs, wait_for

pytestmark = pytest.mark.integration


def start_up(run_dir, *args):
    """`a4co stack up` with its output in run_dir/../up.out (a file: no pipe to fill or block on)."""
    env = {**os.environ, "COLUMNS": "200"}
    for name in ("NATS_URL", "REDIS_URL", "DATABASE_URL", "A4CO_NATS_SYNC"):
        env.pop(name, None)
    with (run_dir.parent / "up.out").open("w") as out:
        return subprocess.Popen(
            [A4CO, "stack", "up", "--run-dir", run_dir, *args], stdout=out, stderr=subprocess.STDOUT, env=env
        )


def output_of(run_dir) -> str:
    return (run_dir.parent / "up.out").read_text()


def wait_until_up(up, run_dir) -> dict:
    wait_for(lambda: "Ctrl-C stops it" in output_of(run_dir) or up.poll() is not None, what="the stack")
    assert up.poll() is None, output_of(run_dir)
    return json.loads((run_dir / "stack.json").read_text())


def finish(up, timeout=15) -> int:
    try:
        return up.wait(timeout)
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_stack_up_serves_until_interrupted_then_stops_everything(tmp_path, stop_signal):
    run_dir = tmp_path / "run"
    up = start_up(run_dir)
    state = wait_until_up(up, run_dir)
    nats_pid, redis_pid = state["servers"]["nats"]["pid"], state["servers"]["redis"]["pid"]
    with redis.Redis.from_url(state["redis_url"]) as client:
        assert client.ping()
    assert pid_runs(nats_pid)
    up.send_signal(stop_signal)
    returncode = finish(up)
    output = output_of(run_dir)
    assert returncode == 0, output
    assert state["nats_url"] in output
    assert state["redis_url"] in output
    assert str(nats_pid) in output
    assert "nats-server.log" in output
    assert f"export NATS_URL={state['nats_url']} REDIS_URL={state['redis_url']}" in output
    assert "stopped" in output
    assert not pid_runs(nats_pid)
    assert not pid_runs(redis_pid)
    assert not (run_dir / "stack.json").exists()


def test_stack_up_fails_loudly_when_a_server_dies(tmp_path):
    run_dir = tmp_path / "run"
    up = start_up(run_dir)
    state = wait_until_up(up, run_dir)
    nats_pid, redis_pid = state["servers"]["nats"]["pid"], state["servers"]["redis"]["pid"]
    os.kill(nats_pid, signal.SIGKILL)  # a server this test's stack started
    assert finish(up) == 1
    assert f"nats-server (pid {nats_pid}) exited with status -9" in output_of(run_dir)
    assert not pid_runs(redis_pid)


def test_stack_up_reports_a_busy_port(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        up = start_up(tmp_path / "run", "--redis-port", str(taken.getsockname()[1]))
        returncode = finish(up, timeout=30)
    output = output_of(tmp_path / "run")
    assert returncode == 1
    assert "error:" in output
    assert "address already in use" in output.lower()
