"""The official JavaScript parser, @asyncapi/parser, agrees that the contract is valid.

The Python lint re-implements what the AsyncAPI tooling checks; this test runs the real thing
(pinned in tools/asyncapi-parser/package-lock.json) so that the two cannot drift apart
unnoticed. It needs node and npm (CI has Node 20); without them it is skipped.
"""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import CONTRACTS, REPO, edit

TOOL = REPO / "tools" / "asyncapi-parser"
ERROR = 0  # DiagnosticSeverity.Error of @stoplight/types


@pytest.fixture(scope="module")
def parser() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip(
            "node and npm are not on PATH: the official @asyncapi/parser check needs Node (CI has Node 20)"
        )
    if not (TOOL / "node_modules" / "@asyncapi" / "parser").is_dir():
        subprocess.run(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=TOOL,
            check=True,
            capture_output=True,
            timeout=600,
        )
    return Path(node)


def diagnostics(node: Path, document: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [str(node), "check.mjs", str(document)],
        cwd=TOOL,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def test_the_official_parser_finds_no_error_in_the_contract(parser: Path) -> None:
    errors = [d for d in diagnostics(parser, CONTRACTS / "asyncapi.yaml") if d["severity"] == ERROR]
    assert errors == [], json.dumps(errors, indent=2)


def test_the_official_parser_check_does_report_errors(parser: Path, contracts_copy: Path) -> None:
    edit(
        contracts_copy,
        "asyncapi.yaml",
        lambda doc: doc["operations"]["gatewaySendsCreateOrder"].update(action="publish"),
    )
    errors = [d for d in diagnostics(parser, contracts_copy / "asyncapi.yaml") if d["severity"] == ERROR]
    assert [d["path"] for d in errors] == [["operations", "gatewaySendsCreateOrder", "action"]]
