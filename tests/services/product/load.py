"""Open-loop HTTP load for latency measurements, with a client light enough not to be the bottleneck.

httpx spends about 1.5 ms of CPU per request, so on a two-core machine it saturates before the service
does. This client keeps HTTP/1.1 connections alive and writes and parses the bare minimum (about
0.1 ms per request). Requests start on a fixed schedule (open loop), whatever the answers do, so a
slow answer delays nothing but itself and queueing shows up in the latencies, as it would for users.
"""

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self
from urllib.parse import urlsplit

__all__ = ["LoadResult", "RawPool", "open_loop"]


class RawPool:
    """Keep-alive connections to one server; a request waits for a free connection."""

    def __init__(self, url: str, headers: dict[str, str], size: int) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        fields = {"Host": f"{self.host}:{self.port}", **headers}
        self._head = "".join(f"{k}: {v}\r\n" for k, v in fields.items())
        self._size = size
        self._idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()

    async def __aenter__(self) -> Self:
        for _ in range(self._size):
            self._idle.put_nowait(await asyncio.open_connection(self.host, self.port))
        return self

    async def __aexit__(self, *_: object) -> None:
        while not self._idle.empty():
            _, writer = self._idle.get_nowait()
            writer.close()

    async def get(self, path: str) -> tuple[int, bytes]:
        reader, writer = await self._idle.get()
        try:
            writer.write(f"GET {path} HTTP/1.1\r\n{self._head}\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            return int(head[9:12]), await reader.readexactly(length)
        finally:
            self._idle.put_nowait((reader, writer))


@dataclass(frozen=True, slots=True)
class LoadResult:
    latencies_ms: list[float]
    failures: list[int]
    seconds: float

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds

    def describe(self, what: str) -> str:
        return (
            f"{what}: {len(self.latencies_ms)} requests at {self.rate:.0f}/s, "
            f"p50 {self.percentile(50):.1f} ms, p99 {self.percentile(99):.1f} ms, "
            f"max {max(self.latencies_ms):.1f} ms"
        )


async def open_loop(pool: RawPool, paths: Sequence[str], *, rate: float, seconds: float) -> LoadResult:
    """Start `rate` requests a second for `seconds`, cycling through `paths`; wait for every answer."""
    latencies: list[float] = []
    failures: list[int] = []

    async def one(path: str, due: float) -> None:
        status, _ = await pool.get(path)
        latencies.append((time.perf_counter() - due) * 1000)  # from when it should have started
        if status != 200:
            failures.append(status)

    tasks = []
    start = time.perf_counter()
    total = int(rate * seconds)
    for n in range(total):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(paths[n % len(paths)], due)))
    await asyncio.gather(*tasks)
    return LoadResult(latencies, failures, time.perf_counter() - start)
