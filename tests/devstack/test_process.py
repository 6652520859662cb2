"""The supervisor: real child processes, signalled by PID only."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from a4co.devstack import DevStackError, ManagedProcess, reap_orphan

from .helpers import PYTHON, pid_runs, wait_for

SLEEPER = "import os, sys, time; print('up', os.getpid(), flush=True); time.sleep(60)"
IGNORES_TERM = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
    "print('ready', flush=True); time.sleep(60)"
)


def sleeper(tmp_path: Path, name: str = "sleeper", **options) -> ManagedProcess:
    return ManagedProcess(name, [PYTHON, "-c", SLEEPER], log_file=tmp_path / f"{name}.log", **options)


def test_child_runs_in_its_own_process_group_with_output_in_the_log(tmp_path):
    process = sleeper(tmp_path)
    process.start()
    try:
        wait_for(lambda: "up" in process.log_tail(), what="the child's first line")
        assert process.is_alive()
        assert os.getpgid(process.pid) == process.pid != os.getpgid(0)
        assert os.getsid(process.pid) == process.pid
        assert process.log_tail() == f"up {process.pid}"
        assert process.log_file.read_text().startswith("=== a4co: ")
    finally:
        returncode = process.stop()
    assert returncode == -signal.SIGTERM
    assert not process.is_alive()
    assert not pid_runs(process.pid)


def test_stop_kills_a_child_that_ignores_sigterm_after_the_grace_period(tmp_path):
    process = ManagedProcess(
        "stubborn", [PYTHON, "-c", IGNORES_TERM], log_file=tmp_path / "s.log", stop_timeout=0.3
    )
    process.start()
    wait_for(lambda: "ready" in process.log_tail(), what="the SIGTERM handler")
    began = time.monotonic()
    returncode = process.stop()
    assert returncode == -signal.SIGKILL
    assert time.monotonic() - began >= 0.3


def test_kill_signals_only_the_pid_it_started(tmp_path):
    spawns_grandchild = (
        "import subprocess, sys, time;"
        f"g = subprocess.Popen([{PYTHON!r}, '-c', 'import time; time.sleep(60)']);"
        "print('grandchild', g.pid, flush=True); time.sleep(60)"
    )
    a = ManagedProcess("a", [PYTHON, "-c", spawns_grandchild], log_file=tmp_path / "a.log")
    b = sleeper(tmp_path, "b")
    bystander = subprocess.Popen([PYTHON, "-c", "import time; time.sleep(60)"])
    grandchild = 0
    try:
        a.start()
        b.start()
        wait_for(lambda: "grandchild" in a.log_tail(), what="the grandchild's pid")
        grandchild = int(a.log_tail().split()[-1])

        assert a.kill(signal.SIGKILL)
        assert a.wait(5) == -signal.SIGKILL
        assert b.is_alive()
        assert bystander.poll() is None
        assert pid_runs(grandchild), "the child's own children are not signalled: PID only, no group kill"
    finally:
        if grandchild and pid_runs(grandchild):
            os.kill(grandchild, signal.SIGKILL)
        b.stop()
        bystander.kill()
        bystander.wait()


def test_a_child_that_has_exited_is_never_signalled_again(tmp_path):
    process = ManagedProcess("quick", [PYTHON, "-c", "raise SystemExit(7)"], log_file=tmp_path / "q.log")
    process.start()
    assert process.wait(5) == 7
    assert process.kill(signal.SIGKILL) is False
    assert process.stop() == 7
    assert process.returncode == 7


def test_restart_starts_a_new_process_and_the_tail_shows_only_the_new_run(tmp_path):
    process = sleeper(tmp_path)
    process.start()
    try:
        first = process.pid
        wait_for(lambda: "up" in process.log_tail(), what="first run")
        process.kill(signal.SIGKILL)
        process.wait(5)
        process.restart()
        second = process.pid
        wait_for(lambda: "up" in process.log_tail(), what="second run")
        assert second != first
        assert process.is_alive()
        assert process.log_tail() == f"up {second}"
        log = process.log_file.read_text()
        assert f"up {first}" in log
        assert log.count("=== a4co:") == 2
    finally:
        process.stop()


def test_pid_file_is_written_on_start_and_removed_on_stop(tmp_path):
    pid_file = tmp_path / "run" / "sleeper.pid"
    process = sleeper(tmp_path, pid_file=pid_file)
    process.start()
    try:
        assert pid_file.read_text() == f"{process.pid}\n"
    finally:
        process.stop()
    assert not pid_file.exists()


def test_starting_a_missing_program_is_a_devstack_error(tmp_path):
    process = ManagedProcess("ghost", [tmp_path / "no-such-program"], log_file=tmp_path / "g.log")
    with pytest.raises(DevStackError, match="cannot start ghost"):
        process.start()
    assert not process.is_alive()


def test_starting_twice_is_refused(tmp_path):
    process = sleeper(tmp_path)
    process.start()
    try:
        with pytest.raises(DevStackError, match="already running"):
            process.start()
    finally:
        process.stop()


def test_reap_orphan_stops_only_a_process_whose_command_line_matches(tmp_path):
    marker = str(tmp_path / "marker.conf")
    orphan = subprocess.Popen([PYTHON, "-c", "import time, sys; time.sleep(60)", marker])
    other = subprocess.Popen([PYTHON, "-c", "import time, sys; time.sleep(60)", "something-else"])
    try:
        pid_file = tmp_path / "orphan.pid"
        pid_file.write_text(f"{other.pid}\n")
        assert reap_orphan(pid_file, marker) is None
        assert other.poll() is None
        assert not pid_file.exists()

        pid_file.write_text(f"{orphan.pid}\n")
        assert reap_orphan(pid_file, marker) == orphan.pid
        assert orphan.wait(5) == -signal.SIGTERM
        assert not pid_file.exists()
    finally:
        for process in (orphan, other):
            process.kill()
            process.wait()
