"""What nats-server and redis-server have in common: a binary, ports, a readiness probe.

A server is started on the ports it was given or, for those left out, on free loopback ports. When it
dies because a picked port was taken in the meantime (another process won the race between our probe
and its bind), it is started again on new ports, a few times. A port given explicitly is never
replaced: "address already in use" on it is an error. Once started, the ports are kept, so
`restart()` brings the server back where its clients reconnect to it.
"""

import logging
import time
from abc import ABC, abstractmethod
from pathlib import Path

from a4co.devstack.errors import DevStackError, ServerStartError
from a4co.devstack.ports import LOOPBACK, free_port
from a4co.devstack.process import DEFAULT_STOP_TIMEOUT, ManagedProcess

__all__ = ["DEFAULT_START_TIMEOUT", "LocalServer"]

logger = logging.getLogger(__name__)

DEFAULT_START_TIMEOUT = 10.0
"""Seconds a server gets to answer its readiness probe (both start in well under 0.1 s here)."""

PORT_ATTEMPTS = 5
"""Starts on fresh ports before giving up when picked ports keep being taken."""

_POLL_FIRST = 0.002
_POLL_MAX = 0.05


class _PortBusyError(Exception):
    pass


class LocalServer(ABC):
    """One server process on loopback ports, supervised by a `ManagedProcess`."""

    program: str
    """Name of the executable, used in messages and as the process name."""

    def __init__(
        self,
        *,
        binary: Path,
        log_file: Path,
        ports: dict[str, int | None],
        pid_file: Path | None = None,
        start_timeout: float = DEFAULT_START_TIMEOUT,
        stop_timeout: float = DEFAULT_STOP_TIMEOUT,
    ) -> None:
        self.binary = binary
        self.host = LOOPBACK
        self.log_file = log_file
        self.pid_file = pid_file
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.startup_seconds: float | None = None
        """How long the last start took, from spawning the process to a passed readiness probe."""
        self._requested = dict(ports)
        self._ports: dict[str, int] = {}
        self._process: ManagedProcess | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} ports={self._ports} process={self._process!r}>"

    # -- what a concrete server defines -------------------------------------------------------

    @abstractmethod
    def _argv(self) -> list[str]:
        """Command line for the current `self._ports` (may write a config file first)."""

    @abstractmethod
    def _probe(self, pid: int) -> bool:
        """True when the server answers and is the process with `pid`; may raise OSError or ValueError.

        Keep it quick (socket timeouts well under a second): the process is checked between probes.
        """

    @property
    @abstractmethod
    def url(self) -> str:
        """Where clients connect."""

    # -- life cycle -------------------------------------------------------------------------------

    @property
    def process(self) -> ManagedProcess:
        if self._process is None:
            raise DevStackError(f"{self.program} has not been started")
        return self._process

    def port(self, name: str) -> int:
        try:
            return self._ports[name]
        except KeyError:
            raise DevStackError(f"{self.program} has not been started; its {name} port is unknown") from None

    @property
    @abstractmethod
    def identity_marker(self) -> str:
        """A command-line argument or working directory unique to this server (to recognise its orphans)."""

    def is_alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def has_exited(self) -> bool:
        """Started, and not running any more (stopped, crashed or killed)."""
        return self._process is not None and self._process.returncode is not None

    def start(self) -> None:
        """Start the server and wait until it answers; DevStackError (with its log tail) otherwise."""
        if self.is_alive():
            raise DevStackError(f"{self.program} is already running (pid {self.process.pid})")
        if not self.binary.is_file():
            raise DevStackError(
                f"{self.program} not found at {self.binary}; run `make setup` to install it into .venv"
            )
        picks_ports = any(port is None for port in self._requested.values())
        attempts = PORT_ATTEMPTS if picks_ports else 1
        for attempt in range(1, attempts + 1):
            self._ports = {
                name: free_port(self.host) if port is None else port for name, port in self._requested.items()
            }
            try:
                argv = self._argv()
            except OSError as exc:
                raise DevStackError(f"cannot prepare the files of {self.program}: {exc}") from None
            self._process = ManagedProcess(
                self.program,
                [str(self.binary), *argv],
                log_file=self.log_file,
                pid_file=self.pid_file,
                stop_timeout=self.stop_timeout,
            )
            try:
                self._spawn_and_wait()
            except _PortBusyError:
                if attempt == attempts:
                    raise self._start_error(
                        f"{self.program} could not listen on {self._describe_ports()}: address already in use"
                    ) from None
                logger.info("%s lost a port race on %s; retrying", self.program, self._describe_ports())
            else:
                return

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after the grace period; a no-op when it does not run."""
        if self._process is not None:
            self._process.stop()

    def restart(self) -> None:
        """Stop (if it runs, e.g. after a `kill -9`) and start again on the same ports."""
        self.process.stop()
        try:
            self._spawn_and_wait()
        except _PortBusyError:
            raise self._start_error(
                f"{self.program} could not listen again on {self._describe_ports()}: address already in use"
            ) from None

    def log_tail(self, lines: int = 40) -> str:
        return self.process.log_tail(lines)

    # -- internals --------------------------------------------------------------------------------

    def _spawn_and_wait(self) -> None:
        process = self.process
        began = time.perf_counter()
        process.start()
        try:
            self._wait_ready(process)
        except BaseException:
            process.stop()  # a no-op when it already exited; never leave a half-started server behind
            raise
        self.startup_seconds = time.perf_counter() - began
        logger.info(
            "%s ready at %s (pid %d) in %.0f ms",
            self.program,
            self.url,
            process.pid,
            self.startup_seconds * 1000,
        )

    def _wait_ready(self, process: ManagedProcess) -> None:
        deadline = time.monotonic() + self.start_timeout
        delay = _POLL_FIRST
        while True:
            if not process.is_alive():
                if "address already in use" in process.log_tail().lower():
                    raise _PortBusyError
                raise self._start_error(
                    f"{self.program} exited with status {process.returncode} while starting"
                )
            if time.monotonic() > deadline:
                where, limit = self._describe_ports(), self.start_timeout
                raise self._start_error(f"{self.program} did not answer on {where} within {limit:g} s")
            try:
                ready = self._probe(process.pid)
            except (OSError, ValueError):  # not listening yet, or not (yet) speaking its protocol
                ready = False
            if ready:
                return
            time.sleep(delay)
            delay = min(delay * 2, _POLL_MAX)

    def _start_error(self, message: str) -> ServerStartError:
        return ServerStartError(
            message, server=self.program, log_file=self.log_file, log_tail=self.process.log_tail()
        )

    def _describe_ports(self) -> str:
        return ", ".join(f"{self.host}:{port} ({name})" for name, port in self._ports.items())
