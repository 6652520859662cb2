"""What every benchmark hands back: tables of figures, checks against targets, notes; and how they print.

A benchmark never asserts: it measures, compares with a baseline taken in the same run, and states a
verdict per target. `python -m bench` prints one table per benchmark and a summary of every check.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import queue
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Check",
    "Report",
    "Table",
    "fmt_ms",
    "fmt_rate",
    "fmt_ratio",
    "fmt_us",
    "percentile",
    "run_in_child",
    "summary_of",
]


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append([str(c) for c in cells])


@dataclass
class Check:
    """One target: `ok` is True (met), False (missed) or None (reported only, no target)."""

    name: str
    target: str
    measured: str
    ok: bool | None


@dataclass
class Report:
    name: str
    tables: list[Table] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None

    def check(self, name: str, target: str, measured: str, ok: bool | None) -> None:
        self.checks.append(Check(name, target, measured, ok))


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile, `q` in 0..100 (p99 is `percentile(v, 99)`); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[index]


def fmt_ms(value: float) -> str:
    if math.isnan(value):
        return "—"
    if value < 1:
        return f"{value:.3f} ms"
    if value < 10:
        return f"{value:.2f} ms"
    return f"{value:,.1f} ms" if value < 1000 else f"{value / 1000:,.2f} s"


def fmt_us(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:,.1f} µs"


def fmt_rate(value: float, unit: str = "/s") -> str:
    return "—" if math.isnan(value) else f"{value:,.0f}{unit}"


def fmt_ratio(value: float) -> str:
    return "—" if math.isnan(value) or math.isinf(value) else f"{value:.2f}×"


def summary_of(reports: Sequence[Report]) -> Table:
    table = Table("Summary", ["benchmark", "check", "target", "measured", "verdict"])
    for report in reports:
        if report.error is not None:
            table.add(report.name, "(did not finish)", "—", report.error.splitlines()[-1][:80], "ERROR")
        for check in report.checks:
            verdict = {True: "met", False: "MISSED", None: "info"}[check.ok]
            table.add(report.name, check.name, check.target, check.measured, verdict)
    return table


def _child(target: Callable[..., Any], args: tuple[Any, ...], out: Any) -> None:
    import inspect

    import uvloop

    try:
        result = target(*args)
        if inspect.iscoroutine(result):
            result = uvloop.run(result)
        out.put(("ok", result))
    except BaseException as exc:  # noqa: BLE001 - the parent reports whatever went wrong
        out.put(("error", f"{type(exc).__name__}: {exc}"))


def run_in_child(target: Callable[..., Any], *args: Any, limit: float) -> Any:
    """Run `target(*args)` (a function or a coroutine function) in a fresh process, at most `limit` s.

    The process is killed when the limit passes; its exception, if any, is raised here as RuntimeError.
    """
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    process = ctx.Process(target=_child, args=(target, args, out), daemon=True)
    process.start()
    try:
        status, value = out.get(timeout=limit)
    except queue.Empty:
        raise TimeoutError(f"{getattr(target, '__name__', target)} took longer than {limit:.0f} s") from None
    finally:
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join(5)
        out.close()
    if status != "ok":
        raise RuntimeError(value)
    return value
