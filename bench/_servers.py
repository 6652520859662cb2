"""Private servers for a benchmark run, started and stopped by the benchmark itself."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path

from nats.js import JetStreamContext

from a4co.devstack import NatsServer

__all__ = ["ProcessCpu", "nats_server", "quiescent"]


@contextlib.contextmanager
def nats_server(sync: str = "2m") -> Iterator[NatsServer]:
    """A nats-server with JetStream in a temporary directory (sync as nats-server's default: 2 min)."""
    with tempfile.TemporaryDirectory(prefix="a4co-bench-") as tmp:
        root = Path(tmp)
        server = NatsServer(
            store_dir=root / "store", config_file=root / "nats.conf", log_file=root / "nats.log", sync=sync
        )
        server.start()
        try:
            yield server
        finally:
            server.stop()


async def quiescent(
    js: JetStreamContext, services: Collection[str], *, within: float = 120.0, every: float = 0.5
) -> None:
    """Wait until the consumers of `services` have nothing pending (the services caught up with the seed).

    A consumer belongs to a service when its name starts with the service's name and a dash (the
    contract's convention: `inventory-on-product-listed`, `order-relay`). Raises TimeoutError naming the
    consumers still behind after `within` seconds.
    """
    prefixes = tuple(f"{service}-" for service in services)
    deadline = time.monotonic() + within
    while True:
        behind: list[str] = []
        for stream in await js.streams_info():
            name = stream.config.name or ""
            behind.extend(
                f"{name}/{consumer.name}"
                for consumer in await js.consumers_info(name)
                if consumer.name.startswith(prefixes) and (consumer.num_pending or consumer.num_ack_pending)
            )
        if not behind:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"consumers still behind after {within:.0f} s: {', '.join(behind[:5])}")
        await asyncio.sleep(every)


class ProcessCpu:
    """CPU seconds used by processes (from /proc, Linux) and by this one (`bench`)."""

    def __init__(self, processes: Mapping[str, int]) -> None:
        self.pids = dict(processes)
        self.tick = os.sysconf("SC_CLK_TCK")

    def sample(self) -> dict[str, float]:
        used = {"bench": time.process_time()}
        for name, pid in self.pids.items():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            used[name] = (int(fields[11]) + int(fields[12])) / self.tick  # utime + stime
        return used

    @staticmethod
    def share(before: Mapping[str, float], after: Mapping[str, float], seconds: float) -> dict[str, float]:
        """Share of one core each process used between two samples `seconds` apart."""
        return {name: (after[name] - before[name]) / seconds for name in after if name in before}

    def settle(self, *, below: float = 0.15, window: float = 0.5, within: float = 20.0) -> float:
        """Wait until the processes together use less than `below` of a core (a run's backlog is done).

        Returns how long it took; gives up after `within` seconds.
        """
        started = time.monotonic()
        while time.monotonic() - started < within:
            before = self.sample()
            time.sleep(window)
            busy = self.share(before, self.sample(), window)
            if sum(v for k, v in busy.items() if k != "bench") < below:
                break
        return time.monotonic() - started
