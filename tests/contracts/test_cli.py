"""`a4co contracts lint` and `a4co contracts show` as a person runs them."""

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from a4co.cli.contracts import app

from .conftest import CONTRACTS, edit

runner = CliRunner()


def test_lint_passes_on_the_real_contracts() -> None:
    result = runner.invoke(app, ["lint", "--contracts", str(CONTRACTS)])
    assert result.exit_code == 0, result.output
    assert "pass 13 rules" in result.output


def test_lint_prints_one_line_per_error_and_exits_1(contracts_copy: Path) -> None:
    def break_two_things(doc: Any) -> None:
        doc["operations"]["gatewaySendsCreateOrder"].pop("x-a4co-service")
        doc["x-jetstream"]["consumers"]["notification-service-orders"]["max_deliver"] = 3

    edit(contracts_copy, "asyncapi.yaml", break_two_things)
    result = runner.invoke(app, ["lint", "--contracts", str(contracts_copy)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    shown = (contracts_copy / "asyncapi.yaml").resolve().as_posix()
    assert lines[0].startswith(
        f"{shown}:/operations/gatewaySendsCreateOrder  [operation-service]  operation "
    )
    consumer = "/x-jetstream/consumers/notification-service-orders"
    assert lines[1].startswith(f"{shown}:{consumer}/max_deliver  [consumer-config]  max_deliver 3")
    assert lines[2] == "✗ 2 errors in 1 of 28 files (13 rules)"


def test_lint_runs_only_the_rules_asked_for(contracts_copy: Path) -> None:
    edit(
        contracts_copy,
        "asyncapi.yaml",
        lambda doc: doc["operations"]["gatewaySendsCreateOrder"].pop("x-a4co-service"),
    )
    result = runner.invoke(app, ["lint", "-c", str(contracts_copy), "--rule", "stream-overlap"])
    assert result.exit_code == 0, result.output
    assert "pass 1 rules" in result.output
    result = runner.invoke(app, ["lint", "-c", str(contracts_copy), "--rule", "no-such-rule"])
    assert result.exit_code == 2


def test_lint_reports_yaml_that_does_not_parse(contracts_copy: Path) -> None:
    (contracts_copy / "schemas" / "order.yaml").write_text("Order: [unclosed\n", encoding="utf-8")
    result = runner.invoke(app, ["lint", "-c", str(contracts_copy)])
    assert result.exit_code == 1
    assert "schemas/order.yaml:2  [load]  not valid YAML" in result.output


def test_show_lays_out_what_the_contracts_define(contracts_copy: Path) -> None:
    result = runner.invoke(app, ["show", "--contracts", str(contracts_copy)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    for title in ("Channels", "Operations by service", "Streams", "Consumers", "HTTP operations"):
        assert title in result.output
    assert "order.created.v1" in result.output
    assert "dlq.{originalSubject}" in result.output
    assert "ES_ORDERS (private)" in result.output
    assert "order-service-inventory" in result.output
    assert "getThing" in result.output
    assert "50 ms" in result.output
