"""`python -m bench` (`make bench`): run the benchmarks, print a table per benchmark and a summary.

    python -m bench                       # everything, full size (about 15 minutes on 2 cores)
    python -m bench --quick               # a short smoke run of everything (about 2-3 minutes)
    python -m bench --only queries,orders # some of them
    python -m bench --json out.json       # also write every figure as JSON

Each benchmark is bounded in count and time, starts its own servers and services, and stops them. The
machine's load average is printed before and after each, since other work on the machine moves figures.
Exit status: 0 when every benchmark ran (whatever the verdicts), 1 when one failed to run, 2 with
`--strict` when a target was missed.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table as RichTable

from bench._report import Report, Table, summary_of

BENCHMARKS: dict[str, str] = {
    "security": "bench.security",
    "toolchain": "bench.toolchain",
    "eventstore": "bench.eventstore",
    "pipeline": "bench.pipeline_report",
    "queries": "bench.queries",
    "orders": "bench.orders",
}


def _load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "?"
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def _render(console: Console, table: Table) -> None:
    rich = RichTable(title=table.title, title_justify="left", show_lines=False)
    for column in table.columns:
        rich.add_column(column, overflow="fold")
    for row in table.rows:
        rich.add_row(*row)
    console.print(rich)


def _print(console: Console, report: Report) -> None:
    for table in report.tables:
        _render(console, table)
    for note in report.notes:
        console.print(f"  · {note}", highlight=False)
    if report.error is not None:
        console.print(f"[red]{report.name} did not finish:[/red]\n{report.error}", highlight=False)
    console.print()


def run_one(name: str, quick: bool) -> Report:
    module = importlib.import_module(BENCHMARKS[name])
    runner: Callable[[bool], Report] = module.run
    before = _load_average()
    started = time.perf_counter()
    try:
        report = runner(quick)
    except Exception:  # noqa: BLE001 - one benchmark failing must not hide the others' figures
        report = Report(name, error=traceback.format_exc())
    report.seconds = time.perf_counter() - started
    report.notes.append(
        f"{report.seconds:.0f} s; load average (1, 5, 15 min) before {before}, after {_load_average()}"
    )
    return report


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        metavar="NAME[,NAME]",
        help=f"run only these benchmarks ({', '.join(BENCHMARKS)})",
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke run: small counts, short loads")
    parser.add_argument("--json", metavar="FILE", type=Path, help="also write the reports as JSON")
    parser.add_argument("--strict", action="store_true", help="exit 2 when a target is missed")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] if args.only else list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    args.names = names
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 200)
    console.print(
        f"a4co benchmarks{' (quick)' if args.quick else ''}: {', '.join(args.names)}; "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, load average {_load_average()}",
        highlight=False,
    )
    console.print()
    reports = []
    for name in args.names:
        console.rule(name)
        report = run_one(name, args.quick)
        _print(console, report)
        reports.append(report)
    _render(console, summary_of(reports))
    if args.json is not None:
        args.json.write_text(
            json.dumps([dataclasses.asdict(r) for r in reports], indent=2, default=str) + "\n"
        )
    if any(r.error is not None for r in reports):
        return 1
    if args.strict and any(c.ok is False for r in reports for c in r.checks):
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
