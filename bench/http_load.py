"""An open-loop HTTP/1.1 load generator: requests at a fixed rate, latency from when each was due.

Measuring from the scheduled time (not from when a connection happened to be free) avoids coordinated
omission: if the server stalls, the requests that should have gone out meanwhile count their wait. It runs
in its own process (`load_in_process`), on loopback, over persistent connections, and stops after a fixed
duration; every request has a timeout, so a stalled server costs at most `duration + timeout`.

The client writes and parses the bare minimum (about 0.1 ms of CPU per request; httpx spends about
1.5 ms, which on two cores would saturate before the service does).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bench._report import percentile, run_in_child

__all__ = ["LoadResult", "LoadSpec", "load_in_process", "percentile", "run_load", "run_spec"]

REQUEST_TIMEOUT = 5.0


@dataclass
class LoadResult:
    rate: float
    duration: float
    """The sending window: `rate * duration` requests were due in it."""
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    timeouts: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0
    """From the first request due to the last answer."""

    @property
    def sent(self) -> int:
        return len(self.latencies_ms) + self.errors

    @property
    def achieved_rate(self) -> float:
        """Answers (below 500) per second of the sending window."""
        return len(self.latencies_ms) / self.duration if self.duration else 0.0

    @property
    def ok(self) -> int:
        """Answers with a 2xx status."""
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    def p(self, q: float) -> float:
        """Percentile `q` in 0..100 of the latencies (p99: `p(99)`)."""
        return percentile(self.latencies_ms, q)


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
    request_timeout: float = REQUEST_TIMEOUT,
) -> LoadResult:
    """Send `rate` requests per second for `duration` seconds; request i goes to `paths(i)`.

    Latencies are kept for answers below 500; 5xx, broken connections and requests without an answer
    within `request_timeout` count as errors (timeouts also in `timeouts`).
    """
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
            status = await asyncio.wait_for(_request(reader, writer, raw), request_timeout)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError, TimeoutError) as exc:
            result.errors += 1
            result.timeouts += isinstance(exc, TimeoutError)
            writer.close()
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), request_timeout)
            except (OSError, TimeoutError):
                return  # the pool shrinks; the run still ends (every wait has a bound)
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
    # Requests still waiting for a connection when every connection is gone would wait forever.
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=2 * request_timeout + 5)
        for task in pending:
            task.cancel()
            result.errors += 1
        await asyncio.gather(*pending, return_exceptions=True)
    result.elapsed = time.perf_counter() - start
    while not pool.empty():
        _, writer = pool.get_nowait()
        writer.close()
    return result


@dataclass(frozen=True)
class LoadSpec:
    """A load run that can be sent to another process: request i goes to `paths[i % len(paths)]` with
    `bodies[i % len(bodies)]`.

    The first `warmup` requests are also sent before the measured run, one after the other, to fill the
    caches the measured run means to hit; their answers must be 2xx.
    """

    url: str
    paths: Sequence[str]
    rate: float
    duration: float
    headers: Mapping[str, str] = field(default_factory=dict)
    method: str = "GET"
    bodies: Sequence[bytes] | None = None
    warmup: int = 0
    connections: int = 64
    timeout: float = REQUEST_TIMEOUT

    def path(self, i: int) -> str:
        return self.paths[i % len(self.paths)]

    def body(self, i: int) -> bytes:
        return self.bodies[i % len(self.bodies)] if self.bodies else b""


async def _warm_up(spec: LoadSpec) -> None:
    parts = urlsplit(spec.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    extra = "".join(f"{k}: {v}\r\n" for k, v in spec.headers.items())
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for i in range(spec.warmup):
            payload = spec.body(i)
            raw = (
                f"{spec.method} {spec.path(i)} HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\n"
                f"{extra}Content-Length: {len(payload)}\r\n\r\n"
            ).encode() + payload
            status = await asyncio.wait_for(_request(reader, writer, raw), spec.timeout)
            if not 200 <= status < 300:
                raise RuntimeError(f"warm-up request {spec.method} {spec.path(i)} answered {status}")
    finally:
        writer.close()


async def run_spec(spec: LoadSpec) -> LoadResult:
    if spec.warmup:
        await _warm_up(spec)
    return await run_load(
        spec.url,
        spec.path,
        rate=spec.rate,
        duration=spec.duration,
        headers=spec.headers,
        method=spec.method,
        body=spec.body if spec.bodies else None,
        connections=spec.connections,
        request_timeout=spec.timeout,
    )


def load_in_process(spec: LoadSpec) -> LoadResult:
    """`run_spec` in a separate process (uvloop), so the load shares no event loop or GIL with the caller."""
    limit = spec.duration + 3 * spec.timeout + spec.warmup * spec.timeout / 20 + 30
    result: LoadResult = run_in_child(run_spec, spec, limit=limit)
    return result
