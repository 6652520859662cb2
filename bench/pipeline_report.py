"""The event pipeline benchmark (`bench.pipeline`, measured there) as a table with its targets.

`bench.pipeline.run(count, rounds)` publishes and consumes at once in separate processes; its first
result is the raw nats-py baseline, the second the platform's own path (the SDK publisher and the SDK's
`BatchConsumer` with the transactional batch, what every service runs), the rest variants for
comparison. Targets (issue 4): at least 10,000 events/s sustained, and at least 0.6 of the raw baseline
measured in the same run (aim: 0.8).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench._report import Report, Table, fmt_rate, fmt_ratio

__all__ = ["Config", "measure", "report", "run"]

TARGET_RATE = 10_000.0
TARGET_RATIO = 0.6


@dataclass(frozen=True)
class Config:
    count: int
    rounds: int


FULL = Config(100_000, 2)
QUICK = Config(5_000, 1)
TINY = Config(1_000, 1)


def measure(config: Config) -> list[Any]:
    from bench import pipeline

    return list(pipeline.run(config.count, config.rounds))


def report(results: list[Any]) -> Report:
    result = Report("pipeline")
    baseline = results[0]
    table = Table(
        "Event pipeline: publish and consume at once (best round of each)",
        ["variant", "messages", "publish/s", "consume/s", "× baseline", "consumer CPU"],
    )
    for item in results:
        table.add(
            item.name,
            f"{item.messages:,}",
            fmt_rate(item.publish_rate),
            fmt_rate(item.consume_rate),
            fmt_ratio(item.consume_rate / baseline.consume_rate),
            f"{item.consumer_cpu:.0%}",
        )
    result.tables.append(table)
    if len(results) > 1:
        platform = results[1]
        ratio = platform.consume_rate / baseline.consume_rate
        result.check(
            f"{platform.name}: events/s",
            f"≥ {TARGET_RATE:,.0f}/s",
            fmt_rate(platform.consume_rate),
            platform.consume_rate >= TARGET_RATE,
        )
        result.check(
            f"{platform.name}: × raw baseline",
            f"≥ {TARGET_RATIO}× (aim 0.8×)",
            f"{fmt_ratio(ratio)} of {fmt_rate(baseline.consume_rate)}",
            ratio >= TARGET_RATIO,
        )
        for other in results[2:]:
            result.check(
                f"{other.name}: × raw baseline",
                "(comparison)",
                f"{fmt_ratio(other.consume_rate / baseline.consume_rate)}, {fmt_rate(other.consume_rate)}",
                None,
            )
    return result


def run(quick: bool = False) -> Report:
    return report(measure(QUICK if quick else FULL))
