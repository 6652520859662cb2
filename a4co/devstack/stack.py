"""`Stack`: the servers of one local run (NATS JetStream and Redis) plus where each service keeps its data.

    with Stack(Path(".run")) as stack:          # or: async with Stack(...) as stack
        stack.nats_url, stack.redis_url, stack.database_url_for("orders")

Environment overrides (the same code then runs against servers someone else runs):
    NATS_URL      use this NATS server, start none
    REDIS_URL     use this Redis server, start none
    DATABASE_URL  every service uses this database instead of its own SQLite file

Layout of the run directory (.run/ by default, gitignored):
    stack.lock    held while a stack runs here, so two stacks never share one JetStream store
    stack.json    URLs, PIDs and files of the running stack, for people and tools
    nats/         nats.conf, nats-server.pid, jetstream/ (the file store)
    redis/        appendonly.aof (when persistent), redis-server.pid
    logs/         nats-server.log, redis-server.log, later one log per service
    data/         <service>.db, one SQLite file per service
"""

import asyncio
import fcntl
import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from a4co.devstack.errors import DevStackError
from a4co.devstack.nats import SYNC_DURABLE, NatsServer, resolve_sync
from a4co.devstack.process import reap_orphan
from a4co.devstack.redis import RedisServer
from a4co.devstack.server import DEFAULT_START_TIMEOUT, LocalServer

__all__ = ["DATABASE_URL_ENV", "NATS_URL_ENV", "REDIS_URL_ENV", "RunLayout", "Stack"]

logger = logging.getLogger(__name__)

NATS_URL_ENV = "NATS_URL"
REDIS_URL_ENV = "REDIS_URL"
DATABASE_URL_ENV = "DATABASE_URL"

_SERVICE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,62}")


@dataclass(frozen=True)
class RunLayout:
    """The folders of one run directory."""

    root: Path

    @property
    def nats_dir(self) -> Path:
        return self.root / "nats"

    @property
    def redis_dir(self) -> Path:
        return self.root / "redis"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def lock_file(self) -> Path:
        return self.root / "stack.lock"

    @property
    def state_file(self) -> Path:
        return self.root / "stack.json"

    def create(self) -> None:
        for folder in (self.nats_dir, self.redis_dir, self.logs_dir, self.data_dir):
            folder.mkdir(parents=True, exist_ok=True)


class Stack:
    """Starts what the environment does not provide, stops it again, and says where everything is."""

    def __init__(
        self,
        run_dir: Path = Path(".run"),
        *,
        environ: Mapping[str, str] | None = None,
        nats_sync: str | None = None,
        redis_persistent: bool = True,
        nats_port: int | None = None,
        redis_port: int | None = None,
        start_timeout: float = DEFAULT_START_TIMEOUT,
    ) -> None:
        env = os.environ if environ is None else environ
        self.layout = RunLayout(run_dir.resolve())
        self.external_nats_url = env.get(NATS_URL_ENV) or None
        self.external_redis_url = env.get(REDIS_URL_ENV) or None
        self.database_url: str | None = env.get(DATABASE_URL_ENV) or None
        """DATABASE_URL, shared by every service; None: each service has its own SQLite file."""
        layout = self.layout
        self.nats: NatsServer | None = None
        if self.external_nats_url is None:
            self.nats = NatsServer(
                store_dir=layout.nats_dir,
                config_file=layout.nats_dir / "nats.conf",
                log_file=layout.logs_dir / "nats-server.log",
                pid_file=layout.nats_dir / "nats-server.pid",
                sync=nats_sync or resolve_sync(SYNC_DURABLE, env),
                port=nats_port,
                start_timeout=start_timeout,
            )
        self.redis: RedisServer | None = None
        if self.external_redis_url is None:
            self.redis = RedisServer(
                data_dir=layout.redis_dir,
                log_file=layout.logs_dir / "redis-server.log",
                pid_file=layout.redis_dir / "redis-server.pid",
                persistent=redis_persistent,
                port=redis_port,
                start_timeout=start_timeout,
            )
        self._lock: IO[str] | None = None

    # -- where things are -------------------------------------------------------------------------

    @property
    def nats_url(self) -> str:
        if self.nats is None:
            return str(self.external_nats_url)
        return self.nats.url

    @property
    def redis_url(self) -> str:
        if self.redis is None:
            return str(self.external_redis_url)
        return self.redis.url

    @property
    def servers(self) -> list[LocalServer]:
        """The servers this stack runs itself (none for those given by the environment)."""
        return [server for server in (self.nats, self.redis) if server is not None]

    def database_url_for(self, service: str) -> str:
        """DATABASE_URL when set, else the service's own SQLite file under data/."""
        if not _SERVICE_NAME.fullmatch(service):
            raise DevStackError(
                f"bad service name {service!r}: use lower-case letters, digits, '-' and '_', "
                "starting with a letter"
            )
        if self.database_url is not None:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.layout.data_dir / service}.db"

    def env_for(self, service: str) -> dict[str, str]:
        """The variables that point a service process at this stack."""
        return {
            NATS_URL_ENV: self.nats_url,
            REDIS_URL_ENV: self.redis_url,
            DATABASE_URL_ENV: self.database_url_for(service),
        }

    def describe(self) -> dict[str, object]:
        """What runs where, as written to stack.json."""
        servers: dict[str, object] = {}
        if self.nats is not None:
            servers["nats"] = {
                "url": self.nats.url,
                "monitor_url": self.nats.monitor_url,
                "pid": self.nats.process.pid,
                "store_dir": str(self.nats.store_dir),
                "sync_interval": self.nats.sync,
                "log_file": str(self.nats.log_file),
            }
        if self.redis is not None:
            servers["redis"] = {
                "url": self.redis.url,
                "pid": self.redis.process.pid,
                "data_dir": str(self.redis.data_dir),
                "persistent": self.redis.persistent,
                "log_file": str(self.redis.log_file),
            }
        return {
            "pid": os.getpid(),
            "run_dir": str(self.layout.root),
            "nats_url": self.nats_url,
            "redis_url": self.redis_url,
            "database_url": self.database_url,
            "data_dir": str(self.layout.data_dir),
            "servers": servers,
        }

    # -- life cycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Lock the run directory and start the servers; on any failure nothing is left running."""
        self.layout.create()
        self._acquire_lock()
        try:
            # A stack killed with -9 leaves its servers running: stop them before two nats-servers
            # share one JetStream store (nats-server does not lock it).
            for server in self.servers:
                if server.pid_file is not None:
                    reap_orphan(server.pid_file, server.identity_marker)
            for server in self.servers:
                server.start()
            self.layout.state_file.write_text(json.dumps(self.describe(), indent=2) + "\n")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop what this stack started (Redis first, NATS last) and release the run directory."""
        try:
            for server in reversed(self.servers):
                server.stop()
        finally:
            if self._lock is not None:
                self.layout.state_file.unlink(missing_ok=True)
                self._release_lock()

    def dead_servers(self) -> list[LocalServer]:
        """Servers of this stack that were started and have exited since."""
        return [server for server in self.servers if server.has_exited()]

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)

    # -- the run-directory lock ---------------------------------------------------------------------

    def _acquire_lock(self) -> None:
        lock = self.layout.lock_file.open("a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "unknown"
            lock.close()
            raise DevStackError(
                f"{self.layout.root} is in use by another stack (pid {holder}); "
                "stop that one first or give this one another run directory"
            ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        self._lock = lock

    def _release_lock(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None
