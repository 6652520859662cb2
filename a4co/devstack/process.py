"""A small supervisor for one child process: start, stop, kill, restart, all by PID.

Each child runs in its own session (so its own process group): a Ctrl-C in the terminal reaches only
the `a4co` process, which then stops its children in order. Signals go to the child's PID alone, never
to a group or by name, so nothing but the process this object started is ever signalled. A child that
has exited and been reaped is never signalled again (its PID may belong to someone else by then).

stdout and stderr go, together, to one log file that is appended to across restarts; every start
writes a header line, and `log_tail()` reads only what the current run wrote.
"""

import contextlib
import logging
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from a4co.devstack.errors import DevStackError

__all__ = ["DEFAULT_STOP_TIMEOUT", "ManagedProcess", "reap_orphan"]

logger = logging.getLogger(__name__)

DEFAULT_STOP_TIMEOUT = 5.0
"""Seconds between SIGTERM and SIGKILL."""


class ManagedProcess:
    """One child process and its log file."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str | Path],
        *,
        log_file: Path,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        pid_file: Path | None = None,
        stop_timeout: float = DEFAULT_STOP_TIMEOUT,
    ) -> None:
        self.name = name
        self.argv = [str(arg) for arg in argv]
        self.log_file = log_file
        self.cwd = cwd
        self.env = dict(env) if env is not None else None
        self.pid_file = pid_file
        self.stop_timeout = stop_timeout
        self._popen: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    def __repr__(self) -> str:
        state = "not started" if self._popen is None else f"pid={self._popen.pid} rc={self.returncode}"
        return f"<ManagedProcess {self.name} {state}>"

    @property
    def pid(self) -> int:
        """PID of the current (or last) run."""
        if self._popen is None:
            raise DevStackError(f"{self.name} has not been started")
        return self._popen.pid

    @property
    def returncode(self) -> int | None:
        """Exit status of the current run, None while it runs (negative: killed by that signal)."""
        return None if self._popen is None else self._popen.poll()

    def is_alive(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def start(self) -> None:
        """Start the child; its output is appended to the log file."""
        if self.is_alive():
            raise DevStackError(f"{self.name} is already running (pid {self.pid})")
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
            log.write(f"=== a4co: {stamp} starting {self.name}: {' '.join(self.argv)}\n".encode())
            log.flush()
            self._log_offset = log.tell()
            try:
                self._popen = subprocess.Popen(  # noqa: S603 - argv is built by the devstack, never by a shell
                    self.argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self.cwd,
                    env=self.env,
                    start_new_session=True,
                )
            except OSError as exc:
                raise DevStackError(f"cannot start {self.name} ({self.argv[0]}): {exc}") from None
        if self.pid_file is not None:
            self.pid_file.parent.mkdir(parents=True, exist_ok=True)
            self.pid_file.write_text(f"{self._popen.pid}\n")
        logger.debug("started %s pid=%d", self.name, self._popen.pid)

    def kill(self, sig: signal.Signals = signal.SIGKILL) -> bool:
        """Send `sig` to the child's PID; False (and nothing sent) when it is not running."""
        if self._popen is None or self._popen.poll() is not None:
            return False
        self._popen.send_signal(sig)
        logger.debug("sent %s to %s pid=%d", sig.name, self.name, self._popen.pid)
        return True

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the child to exit and return its status; DevStackError on timeout."""
        if self._popen is None:
            raise DevStackError(f"{self.name} has not been started")
        try:
            return self._popen.wait(timeout)
        except subprocess.TimeoutExpired:
            raise DevStackError(f"{self.name} (pid {self._popen.pid}) still runs after {timeout} s") from None

    def stop(self, timeout: float | None = None) -> int | None:
        """SIGTERM, then SIGKILL after `timeout` seconds; returns the exit status (None: never started)."""
        if self._popen is None:
            return None
        grace = self.stop_timeout if timeout is None else timeout
        if self.kill(signal.SIGTERM):
            try:
                self._popen.wait(grace)
            except subprocess.TimeoutExpired:
                logger.warning(
                    "%s (pid %d) ignored SIGTERM for %.1f s; killing it", self.name, self.pid, grace
                )
                self.kill(signal.SIGKILL)
        returncode = self._popen.wait()
        if self.pid_file is not None:
            self.pid_file.unlink(missing_ok=True)
        logger.debug("%s pid=%d exited with %d", self.name, self._popen.pid, returncode)
        return returncode

    def restart(self, timeout: float | None = None) -> None:
        """Stop (if it still runs) and start again with the same command; the PID changes."""
        self.stop(timeout)
        self.start()

    def log_tail(self, lines: int = 40) -> str:
        """The last `lines` lines that the current run wrote to the log."""
        try:
            with self.log_file.open("rb") as log:
                log.seek(self._log_offset)
                text = log.read().decode(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def reap_orphan(pid_file: Path, marker: str, timeout: float = DEFAULT_STOP_TIMEOUT) -> int | None:
    """Stop a server left running by an earlier stack that died without cleaning up.

    Only the PID in `pid_file` is considered, and only if that process still runs and `marker` (the
    config path or data directory of this stack) is one of its command-line arguments or its working
    directory (redis-server rewrites its command line but chdirs into its data directory): a PID
    reused by some other program is left alone. Returns the PID that was stopped, or None.
    """
    try:
        pid = int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    if not _pid_runs(pid) or not _is_marked(pid, marker):
        pid_file.unlink(missing_ok=True)
        return None
    logger.warning("stopping pid %d left running by an earlier stack (%s)", pid, pid_file)
    _signal_pid(pid, signal.SIGTERM)
    if not _wait_gone(pid, timeout):
        _signal_pid(pid, signal.SIGKILL)
        if not _wait_gone(pid, timeout):
            raise DevStackError(f"pid {pid} from {pid_file} survived SIGKILL; stop it by hand")
    pid_file.unlink(missing_ok=True)
    return pid


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _pid_runs(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _is_marked(pid: int, marker: str) -> bool:
    proc = Path(f"/proc/{pid}")
    try:
        if str(proc.joinpath("cwd").readlink()) == marker:
            return True
        arguments = proc.joinpath("cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return marker.encode() in arguments


def _signal_pid(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _pid_runs(pid: int) -> bool:
    """Whether `pid` exists and is not a zombie (an orphan's zombie is reaped by init, not by us)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rpartition(")")[2].split()[0]
    return state not in {"Z", "X"}
