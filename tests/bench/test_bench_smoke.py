"""Each benchmark's measuring code, run at a tiny size: it runs, cleans up, and its figures are well formed.

Nothing here checks a target (that is what `python -m bench` reports, with a baseline from the same
run); only that rates are positive, percentiles ordered and every report renders.
"""

from __future__ import annotations

import io
import math

import pytest
from rich.console import Console

from bench import eventstore, orders, pipeline_report, queries, security, toolchain
from bench.__main__ import _print, main, parse_args
from bench._report import Report, percentile, summary_of
from bench.queries import Load


def rendered(report: Report) -> str:
    out = io.StringIO()
    console = Console(file=out, width=200)
    _print(console, report)
    _print(console, Report("summary", tables=[summary_of([report])]))
    return out.getvalue()


def ordered(p50: float, p99: float, top: float | None = None) -> bool:
    return 0 < p50 <= p99 and (top is None or p99 <= top)


# -- pure helpers ------------------------------------------------------------------------------------------


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == (50.0, 99.0, 100.0)
    assert percentile([3.0], 99) == 3.0
    assert math.isnan(percentile([], 50))


def test_stepping_up_doubles_then_bisects_within_its_budget() -> None:
    def load(rate: float, p99: float) -> Load:
        return Load(rate, rate, int(rate), p99 / 2, p99, p99, 0, 0)

    capacity = 1400.0
    tried: list[float] = []

    def at(rate: float) -> Load:
        tried.append(rate)
        return load(rate, 20.0 if rate <= capacity else 500.0)

    steps = queries._step_up(at, 100, load(500, 20), max_steps=6)
    assert tried[:2] == [1000, 2000]
    assert len(steps) <= 6
    best = max(s.offered for s in steps if s.within(100))
    assert 1000 <= best <= capacity

    tried.clear()
    down = queries._step_up(at, 100, load(3000, 500), max_steps=3)
    assert tried == [1500, 750, 1100]  # halve until one holds, then bisect
    assert any(s.within(100) for s in down)


def test_the_command_line_chooses_benchmarks() -> None:
    assert parse_args(["--only", "queries, orders", "--quick"]).names == ["queries", "orders"]
    assert parse_args([]).names == ["security", "toolchain", "eventstore", "pipeline", "queries", "orders"]
    with pytest.raises(SystemExit):
        parse_args(["--only", "nothing"])


# -- each benchmark, tiny ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_security_costs() -> None:
    costs = security.measure(security.TINY)
    assert len(costs) >= 8
    assert all(c.microseconds > 0 for c in costs)
    assert all(c.baseline_microseconds > 0 for c in costs if c.baseline is not None)
    report = security.report(costs)
    assert {c.ok for c in report.checks} <= {True, False}
    assert "verify (remembered)" in rendered(report)


@pytest.mark.slow
@pytest.mark.integration
def test_toolchain_times(capsys: pytest.CaptureFixture[str]) -> None:
    timings = toolchain.measure(toolchain.TINY)
    assert [t.ms > 0 for t in timings] == [True] * 3
    assert "streams apply" in rendered(toolchain.report(timings))


@pytest.mark.slow
@pytest.mark.integration
def test_eventstore_figures() -> None:
    results = eventstore.measure(eventstore.TINY)
    assert len(results.append) == 3
    assert all(ordered(r.p50, r.p99) for r in results.append)
    assert len(results.loads) == 2 * len(eventstore.TINY.lengths)
    assert all(
        ordered(load.p50, load.p99) and ordered(base.p50, base.p99) for _, _, load, base in results.loads
    )
    for run in results.relays:
        assert run.relayed_commits == run.commits
        assert run.relayed_messages == run.commits * run.per_commit
        assert run.message_rate > 0
        assert run.baseline_rate > 0
    assert "relay" in rendered(eventstore.report(results))


@pytest.mark.slow
@pytest.mark.integration
def test_pipeline_rates() -> None:
    results = pipeline_report.measure(pipeline_report.TINY)
    assert len(results) >= 2
    for result in results:
        assert result.messages > 0
        assert result.publish_rate > 0
        assert result.consume_rate > 0
    report = pipeline_report.report(results)
    assert all(isinstance(c.ok, bool) for c in report.checks[:2])  # the two targets got a verdict
    assert "baseline" in rendered(report)


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.e2e
def test_queries_latencies() -> None:
    results, health = queries.measure(queries.TINY)
    assert {r.key for r in results} == set(queries.TINY.variants)
    assert health == []
    for r in results:
        for load in (r.baseline, r.at_rate, *r.steps):
            assert load.requests > 0
            assert load.achieved > 0
            assert ordered(load.p50, load.p99, load.max)
        assert r.sla_ms > 0
    assert "highest rate within SLA" in rendered(queries.report((results, health)))


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.e2e
def test_orders_latencies() -> None:
    results = orders.measure(orders.TINY)
    assert ordered(results.baseline_p50, results.baseline_p99)
    for step in [results.fixed, *results.steps]:
        assert step is not None
        assert step.placed > 0
        assert step.accepted > 0
        assert step.accepted + sum(step.refused.values()) == step.placed
        if step.confirmed:
            assert ordered(step.confirm_p50, step.confirm_p99)
            assert step.accepted_confirm_p99 <= step.confirm_p99
        if step.scheduled:
            assert ordered(step.scheduled_p50, step.scheduled_p99)
    assert "confirmed" in rendered(orders.report(results))


@pytest.mark.slow
def test_the_command_prints_tables_and_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--only", "security", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "Security" in out
    assert "Summary" in out


def test_a_pause_is_told_from_a_queue() -> None:
    paused = Load(500, 500, 5000, 3.0, 400.0, 900.0, 0, 0)
    queued = Load(500, 480, 5000, 180.0, 900.0, 1500.0, 0, 0)
    assert queries._stalled(paused, 100)
    assert not queries._stalled(queued, 100)
    assert not queries._stalled(Load(500, 500, 5000, 3.0, 20.0, 40.0, 0, 0), 100)
