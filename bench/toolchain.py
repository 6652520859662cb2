"""The contract toolchain: loading the contracts, generating the SDK, provisioning the streams.

- load: `load_contracts` + `read_asyncapi` of the real contracts (every `$ref` resolved, the AsyncAPI
  model built); baseline: parsing the same YAML files with PyYAML and nothing else.
- generate: `parse` + `build` of the whole SDK in memory (what `a4co codegen generate` does before
  writing files).
- provision: `a4co streams apply --yes` (in process) creating every stream and consumer of the contract on
  an empty private nats-server; baseline: nats-py `add_stream` / `add_consumer` of the same
  configurations, nothing planned or compared.

Each figure is the best of its rounds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench._report import Report, Table, fmt_ms, fmt_ratio

__all__ = ["Config", "Timing", "measure", "report", "run"]

CONTRACTS = Path(__file__).resolve().parents[1] / "contracts"


@dataclass(frozen=True)
class Config:
    rounds: int = 3
    generate_rounds: int = 2


FULL = Config()
QUICK = Config(rounds=2, generate_rounds=1)
TINY = Config(rounds=1, generate_rounds=1)


@dataclass(frozen=True)
class Timing:
    name: str
    ms: float
    baseline: str | None = None
    baseline_ms: float = float("nan")


def _best_ms(work: Callable[[], object], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        best = min(best, (time.perf_counter() - started) * 1000)
    return best


def _load() -> object:
    from codegen.loader import load_contracts
    from codegen.model import read_asyncapi

    return read_asyncapi(load_contracts(CONTRACTS))


def _yaml_only() -> object:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # what the contract loader uses
    return [
        yaml.load(p.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - a safe loader
        for p in sorted(CONTRACTS.rglob("*.yaml"))
    ]


def _generate() -> object:
    import tempfile

    from codegen.parser import parse
    from codegen.project import GeneratorConfig, build

    with tempfile.TemporaryDirectory(prefix="a4co-bench-sdk-") as out:
        config = GeneratorConfig("a4co_sdk", "a4co-sdk", CONTRACTS, Path(out))
        return build(parse(CONTRACTS, package="a4co_sdk"), config)


async def _clear(url: str) -> None:
    import nats

    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        for stream in await js.streams_info():
            if stream.config.name is not None:
                await js.delete_stream(stream.config.name)
    finally:
        await nc.close()


async def _raw_create(url: str) -> None:
    import nats

    from a4co_sdk._runtime.jetstream_config import consumer_config, stream_config
    from a4co_sdk.streams import CONSUMERS, STREAMS

    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        for stream in STREAMS.values():
            await js.add_stream(stream_config(stream, replicas=1))
        for consumer in CONSUMERS.values():
            await js.add_consumer(consumer.stream, consumer_config(consumer))
    finally:
        await nc.close()


def _provision(rounds: int) -> tuple[float, float]:
    from typer.testing import CliRunner

    from a4co.cli.app import app
    from bench._servers import nats_server

    cli, raw = float("inf"), float("inf")
    with nats_server() as server:
        for _ in range(rounds):
            asyncio.run(_clear(server.url))
            started = time.perf_counter()
            asyncio.run(_raw_create(server.url))
            raw = min(raw, (time.perf_counter() - started) * 1000)
            asyncio.run(_clear(server.url))
            started = time.perf_counter()
            applied: Any = CliRunner().invoke(
                app, ["streams", "apply", "--nats-url", server.url, "--yes"], env={"COLUMNS": "200"}
            )
            elapsed = (time.perf_counter() - started) * 1000
            if applied.exit_code != 0:
                raise RuntimeError(f"a4co streams apply failed:\n{applied.output}")
            cli = min(cli, elapsed)
    return cli, raw


def measure(config: Config) -> list[Timing]:
    from a4co_sdk.streams import CONSUMERS, STREAMS

    _load()  # imports and caches outside the measurement
    load = _best_ms(_load, config.rounds)
    yaml_only = _best_ms(_yaml_only, config.rounds)
    generate = _best_ms(_generate, config.generate_rounds)
    cli, raw = _provision(config.rounds)
    return [
        Timing("load the contracts (refs resolved, AsyncAPI model)", load,
               "PyYAML parse of the same files", yaml_only),
        Timing("generate the SDK (parse + build, in memory)", generate),
        Timing(f"a4co streams apply ({len(STREAMS)} streams, {len(CONSUMERS)} consumers)", cli,
               "nats-py add_stream / add_consumer", raw),
    ]  # fmt: skip


# The bounds the tests used to assert, now targets here (ms).
TARGETS = {"load": 500.0, "generate": 10_000.0, "a4co streams apply": 5_000.0}


def report(timings: list[Timing]) -> Report:
    result = Report("toolchain")
    table = Table(
        "Contract toolchain (best of the rounds)", ["operation", "time", "baseline", "baseline time", "ratio"]
    )
    for t in timings:
        if t.baseline is None:
            table.add(t.name, fmt_ms(t.ms), "—", "—", "—")
        else:
            table.add(
                t.name, fmt_ms(t.ms), t.baseline, fmt_ms(t.baseline_ms), fmt_ratio(t.ms / t.baseline_ms)
            )
        bound = next((v for k, v in TARGETS.items() if t.name.startswith(k)), None)
        if bound is not None:
            measured = fmt_ms(t.ms)
            if t.baseline is not None:
                measured += f" ({fmt_ratio(t.ms / t.baseline_ms)} {t.baseline.split(' ')[0]})"
            result.check(t.name.split(" (")[0], f"< {fmt_ms(bound)}", measured, t.ms < bound)
    result.tables.append(table)
    return result


def run(quick: bool = False) -> Report:
    return report(measure(QUICK if quick else FULL))
