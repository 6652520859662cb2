"""Private servers for a benchmark run, started and stopped by the benchmark itself."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from a4co.devstack import NatsServer

__all__ = ["nats_server"]


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
