"""An open-loop HTTP/1.1 load generator: requests at a fixed rate, latency from when each was due.

Measuring from the scheduled time (not from when a connection happened to be free) avoids coordinated
omission: if the server stalls, the requests that should have gone out meanwhile count their wait. It runs
in its own process, on loopback, over persistent connections, and stops after a fixed duration.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["LoadResult", "percentile", "run_load"]


@dataclass
class LoadResult:
    rate: float
    duration: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def sent(self) -> int:
        return len(self.latencies_ms) + self.errors

    @property
    def achieved_rate(self) -> float:
        return len(self.latencies_ms) / self.duration if self.duration else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> int:
    writer.write(raw)
    await writer.drain()
    status_line = await reader.readline()
    status = int(status_line.split(b" ", 2)[1])
    length = 0
    chunked = False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        lowered = name.strip().lower()
        if lowered == b"content-length":
            length = int(value.strip())
        elif lowered == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readline()).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def run_load(
    url: str,
    paths: Callable[[int], str],
    *,
    rate: float,
    duration: float,
    headers: Mapping[str, str] | None = None,
    method: str = "GET",
    body: Callable[[int], bytes] | None = None,
    connections: int = 64,
) -> LoadResult:
    """Send `rate` requests per second for `duration` seconds; request i goes to `paths(i)`."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await asyncio.open_connection(host, port))
    result = LoadResult(rate=rate, duration=duration)
    total = int(rate * duration)
    start = time.perf_counter() + 0.05
    tasks: list[asyncio.Task[None]] = []

    async def one(i: int, due: float) -> None:
        reader, writer = await pool.get()
        payload = body(i) if body else b""
        raw = (
            f"{method} {paths(i)} HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\n{extra}"
            f"Content-Length: {len(payload)}\r\n\r\n"
        ).encode() + payload
        try:
            status = await _request(reader, writer, raw)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            result.errors += 1
            writer.close()
            reader, writer = await asyncio.open_connection(host, port)
        else:
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status < 500:
                result.latencies_ms.append((time.perf_counter() - due) * 1000)
            else:
                result.errors += 1
        pool.put_nowait((reader, writer))

    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    result.duration = max(time.perf_counter() - start, duration)
    while not pool.empty():
        _, writer = pool.get_nowait()
        writer.close()
    return result
