"""The whole marketplace on one machine: the stack, the contract's streams, and every service as a process.

Used by `a4co run` (`make run`) and by the end-to-end and crash tests, which kill and restart services
through `Marketplace.process(name)`. Each service is `python -m services.<name>` with its settings in
environment variables: the stack's URLs, its own HTTP port, and every peer's URL (so a launcher can pick
free ports and tests can run two marketplaces at once).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import nats

from a4co.devstack.errors import DevStackError
from a4co.devstack.ports import free_port, port_is_free
from a4co.devstack.process import ManagedProcess
from a4co.devstack.stack import Stack

__all__ = ["SERVICES", "Marketplace", "ServiceProcess", "provision"]

# Start order: the services others call synchronously come first; the gateway, which calls them all, last.
SERVICES = (
    "auth",
    "user",
    "product",
    "artisan",
    "inventory",
    "payment",
    "order",
    "delivery",
    "notification",
    "loyalty",
    "analytics",
    "dlq",
    "gateway",
)
READY_TIMEOUT = 60.0


@dataclass
class ServiceProcess:
    name: str
    port: int
    process: ManagedProcess

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


async def provision(nats_url: str) -> list[str]:
    """Create or update the contract's streams and consumers; returns the plan's warnings."""
    from a4co_sdk._runtime.provisioning import apply, plan  # noqa: PLC0415 - the SDK is generated code
    from a4co_sdk.streams import CONSUMERS, STREAMS  # noqa: PLC0415

    nc = await nats.connect(nats_url, connect_timeout=5, max_reconnect_attempts=1)
    try:
        js = nc.jetstream()
        current = await plan(js, STREAMS, CONSUMERS)
        await apply(js, current)
        return list(current.warnings)
    finally:
        await nc.close()


class Marketplace:
    """Starts and stops every service of the marketplace against a running `Stack`."""

    def __init__(
        self,
        stack: Stack,
        services: Iterable[str] = SERVICES,
        *,
        extra_env: Mapping[str, str] | None = None,
        default_ports: Mapping[str, int] | None = None,
    ) -> None:
        from services.platform.settings import DEFAULT_PORTS  # noqa: PLC0415 - keeps the CLI import light

        self.stack = stack
        self.names = tuple(services)
        self.extra_env = dict(extra_env or {})
        wanted = default_ports if default_ports is not None else DEFAULT_PORTS
        self.ports = {name: self._port(wanted.get(name)) for name in self.names}
        self.processes: dict[str, ServiceProcess] = {}

    @staticmethod
    def _port(preferred: int | None) -> int:
        return preferred if preferred and port_is_free(preferred) else free_port()

    @property
    def logs_dir(self) -> Path:
        return self.stack.layout.logs_dir

    def env_for(self, name: str) -> dict[str, str]:
        env = {
            **os.environ,
            **self.stack.env_for(name),
            "A4CO_RUN_DIR": str(self.stack.layout.root),
            "A4CO_HTTP_PORT": str(self.ports[name]),
            "PYTHONUNBUFFERED": "1",
            **{
                f"A4CO_URL_{peer.upper().replace('-', '_')}": f"http://127.0.0.1:{port}"
                for peer, port in self.ports.items()
            },
            **self.extra_env,
        }
        if self.stack.database_url is None:
            env.pop("DATABASE_URL", None)
            env["DATABASE_URL"] = self.stack.database_url_for(name)
        return env

    def start(self, *, timeout: float = READY_TIMEOUT) -> None:
        """Provision the streams, start every service, and wait until each says it is ready."""
        warnings = asyncio.run(provision(self.stack.nats_url))
        self.provisioning_warnings = warnings
        for name in self.names:
            self.processes[name] = ServiceProcess(
                name,
                self.ports[name],
                ManagedProcess(
                    name,
                    [sys.executable, "-m", f"services.{name}"],
                    log_file=self.logs_dir / f"{name}.log",
                    env=self.env_for(name),
                    pid_file=self.stack.layout.root / "pids" / f"{name}.pid",
                ),
            )
            self.processes[name].process.start()
        self.wait_ready(self.names, timeout=timeout)
        (self.stack.layout.root / "services.json").write_text(
            json.dumps({name: service.url for name, service in self.processes.items()}, indent=2) + "\n"
        )

    def wait_ready(self, names: Iterable[str], *, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        for name in names:
            service = self.processes[name]
            while not self._ready(service):
                if not service.process.is_alive():
                    raise DevStackError(f"service {name} exited:\n{service.process.log_tail()}")
                if time.monotonic() > deadline:
                    raise DevStackError(
                        f"service {name} not ready after {timeout:.0f} s:\n{service.process.log_tail()}"
                    )
                time.sleep(0.1)

    @staticmethod
    def _ready(service: ServiceProcess) -> bool:
        try:
            with urllib.request.urlopen(f"{service.url}/ready", timeout=1) as response:  # noqa: S310 - loopback http
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def process(self, name: str) -> ManagedProcess:
        return self.processes[name].process

    def url(self, name: str) -> str:
        return self.processes[name].url

    def restart(self, name: str, *, timeout: float = READY_TIMEOUT) -> None:
        self.process(name).restart()
        self.wait_ready([name], timeout=timeout)

    def stop(self) -> None:
        for name in reversed(self.names):
            service = self.processes.pop(name, None)
            if service is not None:
                service.process.stop()

    def dead(self) -> list[str]:
        return [name for name, service in self.processes.items() if not service.process.is_alive()]
