"""The JetStream event store: append latency, load time by history length, relay throughput.

On a private nats-server (file storage, nats-server's default sync), against baselines in the same run:

- append: `EventStore.append` of an order-sized commit (two events, one ~500 B outbox message) with an
  expected-last-subject-sequence, for new aggregates and for one aggregate in a row; baseline: a bare
  `await js.publish` of the same bytes into the same stream (one JetStream round trip).
- load: `EventStore.load` of histories of 1, 20 and 100 commits, interleaved with other aggregates, with
  batched direct gets (`allow_direct`, what the contract asks for) and from the stream leader; baseline:
  one direct get of the aggregate's last message (`js.get_last_msg(..., direct=True)`).
- relay: a restarted relay working through a backlog (commits spread over many aggregates, several
  messages per commit, one hot aggregate); baseline: `publish_async` of as many outbox messages straight
  into ORDERS (the relay's ceiling: it does that plus reading and acknowledging commits).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

from bench._report import Report, Table, fmt_ms, fmt_rate, fmt_ratio, percentile

__all__ = ["Config", "Latencies", "RelayRun", "Results", "measure", "report", "run"]


@dataclass(frozen=True)
class Config:
    appends: int = 1000
    loads: int = 200
    lengths: tuple[int, ...] = (1, 20, 100)
    relays: tuple[tuple[int, int, int], ...] = ((5000, 500, 1), (3000, 500, 3), (2000, 1, 1))
    """(commits, aggregates, outbox messages per commit)"""
    time_limit: float = 240.0


FULL = Config()
QUICK = Config(
    appends=200, loads=40, lengths=(1, 20, 100), relays=((1000, 100, 1), (600, 100, 3), (400, 1, 1))
)
TINY = Config(appends=20, loads=5, lengths=(1, 5), relays=((50, 10, 1), (20, 1, 1)), time_limit=60.0)


@dataclass(frozen=True)
class Latencies:
    name: str
    samples_ms: list[float]

    @property
    def p50(self) -> float:
        return percentile(self.samples_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.samples_ms, 99)


@dataclass(frozen=True)
class RelayRun:
    commits: int
    aggregates: int
    per_commit: int
    relayed_commits: int
    relayed_messages: int
    seconds: float
    baseline_rate: float
    """Messages a second that `publish_async` stores straight into ORDERS, measured just before."""

    @property
    def message_rate(self) -> float:
        return self.relayed_messages / self.seconds

    @property
    def commit_rate(self) -> float:
        return self.relayed_commits / self.seconds


@dataclass
class Results:
    append: list[Latencies] = field(default_factory=list)
    loads: list[tuple[str, int, Latencies, Latencies]] = field(default_factory=list)
    """(mode, history length, load latencies, baseline latencies)"""
    relays: list[RelayRun] = field(default_factory=list)


def _commit(aggregate_id: str, messages: int = 1) -> Any:
    """About the size of an order commit: two events and `messages` outbox messages of ~500 B."""
    import orjson

    from a4co_sdk._runtime.publishing import NATS_MSG_ID, OutgoingMessage
    from services.platform.eventstore import Commit, DomainEvent, OutboxMessage

    def outgoing(subject: str) -> OutgoingMessage:
        message_id = uuid4()
        body = orjson.dumps({"at": subject, "orderId": aggregate_id, "note": "x" * 400})
        headers = {"event-id": str(message_id), "event-name": subject, NATS_MSG_ID: str(message_id)}
        return OutgoingMessage(subject, body, headers, message_id, "ORDERS")

    events = (
        DomainEvent("ItemAdded", {"sku": "olive-oil-500ml", "quantity": 2, "unitPrice": "12.50"}),
        DomainEvent("TotalChanged", {"total": {"amount": "25.00", "currency": "EUR"}}),
    )
    outbox = tuple(OutboxMessage.from_outgoing(outgoing(f"order.step{k}.v1")) for k in range(messages))
    return Commit(aggregate_id, "order", events=events, outbox=outbox)


async def _recreate(js: Any, spec: Any, *, allow_direct: bool) -> None:
    import nats.js.errors

    from a4co_sdk._runtime.jetstream_config import stream_config

    with contextlib.suppress(nats.js.errors.NotFoundError):  # absent the first time
        await js.delete_stream(spec.name)
    config = dataclasses.replace(stream_config(spec, replicas=1), allow_direct=allow_direct or None)
    await js.add_stream(config)


async def _append_latencies(js: Any, config: Config) -> list[Latencies]:
    from a4co_sdk.streams import ES_ORDERS_STREAM
    from services.platform.eventstore import EventStore

    await _recreate(js, ES_ORDERS_STREAM, allow_direct=True)
    store = EventStore(js, ES_ORDERS_STREAM, "es.order")
    raw: list[float] = []
    new: list[float] = []
    same: list[float] = []
    for _ in range(config.appends):  # interleaved, so that both see the same moments of the machine
        aggregate_id = str(uuid4())
        commit = _commit(aggregate_id)
        payload = commit.encode()
        started = time.perf_counter()
        await js.publish(f"es.order.{uuid4()}", payload, stream=ES_ORDERS_STREAM.name)
        raw.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        await store.append(aggregate_id, commit, 0)
        new.append((time.perf_counter() - started) * 1000)
    aggregate_id, sequence = str(uuid4()), 0
    for _ in range(config.appends):
        commit = _commit(aggregate_id)
        started = time.perf_counter()
        sequence = (await store.append(aggregate_id, commit, sequence)).sequence
        same.append((time.perf_counter() - started) * 1000)
    return [
        Latencies("js.publish round trip (baseline)", raw),
        Latencies("append, new aggregate", new),
        Latencies("append, one aggregate in a row", same),
    ]


async def _load_latencies(js: Any, config: Config) -> list[tuple[str, int, Latencies, Latencies]]:
    from a4co_sdk.streams import ES_ORDERS_STREAM
    from services.platform.eventstore import EventStore

    found = []
    for direct in (True, False):
        mode = "direct" if direct else "leader"
        await _recreate(js, ES_ORDERS_STREAM, allow_direct=direct)
        store = EventStore(js, ES_ORDERS_STREAM, "es.order")
        noise = [str(uuid4()) for _ in range(5)]
        noise_seq = dict.fromkeys(noise, 0)
        for length in config.lengths:
            aggregate_id, sequence = str(uuid4()), 0
            for _ in range(length):
                sequence = (await store.append(aggregate_id, _commit(aggregate_id), sequence)).sequence
                for other in noise:  # other aggregates interleaved, as in a live stream
                    noise_seq[other] = (await store.append(other, _commit(other), noise_seq[other])).sequence
            samples, baseline = [], []
            subject = store.subject(aggregate_id)
            for _ in range(config.loads):
                started = time.perf_counter()
                await js.get_last_msg(ES_ORDERS_STREAM.name, subject, direct=direct)
                baseline.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                loaded = await store.load(aggregate_id)
                samples.append((time.perf_counter() - started) * 1000)
            if len(loaded.commits) != length:
                raise RuntimeError(f"loaded {len(loaded.commits)} commits of {length}")
            found.append(
                (
                    mode,
                    length,
                    Latencies(f"load {length} commits ({mode})", samples),
                    Latencies(f"last message, {'direct get' if direct else 'leader get'}", baseline),
                )
            )
    return found


async def _raw_publish_rate(js: Any, messages: int) -> float:
    import orjson

    from a4co_sdk.streams import ORDERS_STREAM

    await _recreate(js, ORDERS_STREAM, allow_direct=False)
    body = orjson.dumps({"at": "order.step0.v1", "orderId": str(uuid4()), "note": "x" * 400})
    started = time.perf_counter()
    for _ in range(messages):
        await js.publish_async("order.step0.v1", body, headers={"Nats-Msg-Id": str(uuid4())})
    await asyncio.wait_for(js.publish_async_completed(), 60)
    return messages / (time.perf_counter() - started)


async def _relay_run(js: Any, commits: int, aggregates: int, per_commit: int) -> RelayRun:
    from a4co_sdk.streams import ES_ORDERS_STREAM, ORDERS_STREAM
    from services.platform.eventstore import EventStore, Relay, RelayConfig

    baseline = await _raw_publish_rate(js, commits * per_commit)
    await _recreate(js, ORDERS_STREAM, allow_direct=False)
    await _recreate(js, ES_ORDERS_STREAM, allow_direct=True)
    store = EventStore(js, ES_ORDERS_STREAM, "es.order")
    ids = [str(uuid4()) for _ in range(aggregates)]
    sequences = dict.fromkeys(ids, 0)

    async def write(aggregate_id: str, count: int) -> None:
        for _ in range(count):
            appended = await store.append(
                aggregate_id, _commit(aggregate_id, per_commit), sequences[aggregate_id]
            )
            sequences[aggregate_id] = appended.sequence

    await asyncio.gather(*(write(a, commits // aggregates) for a in ids))
    relay = Relay(js, ES_ORDERS_STREAM, "order-relay", config=RelayConfig(poll=0.2))
    await relay.ensure_consumer()
    poll = 0.05
    started = time.perf_counter()
    relayed = await relay.relay_available(poll=poll)
    elapsed = time.perf_counter() - started - poll  # the last, empty pull
    await relay.close()
    return RelayRun(commits, aggregates, per_commit, relayed, relay.stats.messages, elapsed, baseline)


async def _measure(config: Config) -> Results:
    import nats

    from bench._servers import nats_server

    results = Results()
    with nats_server() as server:
        nc = await nats.connect(server.url)
        try:
            js = nc.jetstream(publish_async_max_pending=2000)
            results.append = await _append_latencies(js, config)
            results.loads = await _load_latencies(js, config)
            for commits, aggregates, per_commit in config.relays:
                results.relays.append(await _relay_run(js, commits, aggregates, per_commit))
        finally:
            await nc.close()
    return results


def measure(config: Config) -> Results:
    return asyncio.run(asyncio.wait_for(_measure(config), config.time_limit))


def report(results: Results) -> Report:
    result = Report("eventstore")
    base = results.append[0]
    appends = Table(
        "Event store: append latency", ["operation", "n", "p50", "p99", "p50 / baseline", "p99 / baseline"]
    )
    for row in results.append:
        appends.add(
            row.name,
            len(row.samples_ms),
            fmt_ms(row.p50),
            fmt_ms(row.p99),
            fmt_ratio(row.p50 / base.p50),
            fmt_ratio(row.p99 / base.p99),
        )
    result.tables.append(appends)
    new = results.append[1]
    result.check(
        "append, new aggregate: p50",
        "< 5 ms",
        f"{fmt_ms(new.p50)} ({fmt_ratio(new.p50 / base.p50)} js.publish)",
        new.p50 < 5,
    )

    loads = Table(
        "Event store: load time by history length",
        ["history", "read", "n", "p50", "p99", "baseline: last msg p50", "p50 / baseline"],
    )
    for mode, length, load, baseline in results.loads:
        loads.add(
            f"{length} commits",
            mode,
            len(load.samples_ms),
            fmt_ms(load.p50),
            fmt_ms(load.p99),
            fmt_ms(baseline.p50),
            fmt_ratio(load.p50 / baseline.p50),
        )
        bound = 10 if mode == "direct" else 100
        result.check(
            f"load {length} commits ({mode}): p50",
            f"< {bound} ms",
            f"{fmt_ms(load.p50)} ({fmt_ratio(load.p50 / baseline.p50)} one get)",
            load.p50 < bound,
        )
    result.tables.append(loads)

    relays = Table(
        "Event store: relay of a backlog (restarted relay)",
        [
            "commits",
            "aggregates",
            "msgs/commit",
            "relayed",
            "commits/s",
            "msgs/s",
            "raw publish_async",
            "ratio",
        ],
    )
    for run in results.relays:
        relays.add(
            run.commits,
            run.aggregates,
            run.per_commit,
            f"{run.relayed_commits}/{run.commits}",
            fmt_rate(run.commit_rate),
            fmt_rate(run.message_rate),
            fmt_rate(run.baseline_rate),
            fmt_ratio(run.message_rate / run.baseline_rate),
        )
    result.tables.append(relays)
    spread = [r for r in results.relays if r.aggregates > 1 and r.per_commit == 1]
    hot = [r for r in results.relays if r.aggregates == 1]
    for runs, label, bound in ((spread, "spread over aggregates", 1000), (hot, "one hot aggregate", 300)):
        for run in runs:
            result.check(
                f"relay, {label}",
                f"> {bound:,} msgs/s",
                f"{fmt_rate(run.message_rate)} ({fmt_ratio(run.message_rate / run.baseline_rate)} raw)",
                run.message_rate > bound,
            )
    for run in results.relays:
        if run.relayed_commits != run.commits:
            result.notes.append(f"relay: {run.relayed_commits} of {run.commits} commits relayed")
    if spread:
        result.notes.append(
            f"a restarted relay publishes about {spread[0].message_rate * 90:,.0f} messages "
            "in the 90 s left of a 2-minute duplicate window"
        )
    return result


def run(quick: bool = False) -> Report:
    return report(measure(QUICK if quick else FULL))
