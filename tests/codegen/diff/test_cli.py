"""`a4co codegen diff`: exit codes CI relies on (1 breaking, 0 not, 2 errors), JSON, and `--base`."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from a4co.cli.app import app
from tests.codegen.diff.contracts import dump

VELO = Path(__file__).parents[1] / "fixtures" / "velo"
REPO = Path(__file__).parents[3]
WIDE = {"COLUMNS": "200"}


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["codegen", "diff", *args], env=WIDE)
    return result.exit_code, result.stdout, result.stderr


def break_velo(contracts: Path) -> None:
    """Add a value to the closed enum StationClosed.reason: old consumers would reject it."""
    path = contracts / "schemas" / "velo.yaml"
    schemas = yaml.safe_load(path.read_text())
    schemas["StationClosed"]["properties"]["reason"]["enum"].append("flood")
    dump(path, schemas)


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository whose first commit has no contracts and whose second commits velo's."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[tool.a4co.codegen]\ncontracts = "contracts"\npackage = "velo_sdk"\n'
    )
    git(root, "init", "--quiet")
    git(root, "add", ".")
    git(root, "commit", "--quiet", "-m", "no contracts yet")
    shutil.copytree(VELO, root / "contracts")
    git(root, "add", ".")
    git(root, "commit", "--quiet", "-m", "contracts")
    monkeypatch.chdir(root)
    return root


def test_two_directories_with_a_breaking_change_exit_1_with_the_rules_as_json(tmp_path: Path) -> None:
    shutil.copytree(VELO, tmp_path / "old")
    shutil.copytree(VELO, tmp_path / "new")
    break_velo(tmp_path / "new")
    code, out, _ = invoke(str(tmp_path / "old"), str(tmp_path / "new"), "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["breaking"] is True
    assert {(c["rule"], c["severity"]) for c in report["changes"]} == {("enum-value-added", "breaking")}
    (change,) = report["changes"]
    assert change["file"] == "schemas/velo.yaml"
    assert change["pointer"] == "/StationClosed/properties/reason/enum"
    assert change["breaks"] == ["forward"]
    assert "velo.station.{stationId}.status.v2 beside velo.station.{stationId}.status.v1" in change["message"]


def test_the_table_names_the_rule_and_the_verdict(tmp_path: Path) -> None:
    shutil.copytree(VELO, tmp_path / "old")
    shutil.copytree(VELO, tmp_path / "new")
    break_velo(tmp_path / "new")
    code, out, _ = invoke(str(tmp_path / "old"), str(tmp_path / "new"))
    assert code == 1
    assert "enum-value-added" in out
    assert "schemas/velo.yaml#/StationClosed/properties/reason/enum" in out
    assert "1 breaking, 0 warning, 0 compatible" in out


def test_identical_directories_exit_0(tmp_path: Path) -> None:
    code, out, _ = invoke(str(VELO), str(VELO))
    assert code == 0
    assert "no contract changes" in out


def test_compatible_changes_are_listed_and_exit_0(tmp_path: Path) -> None:
    shutil.copytree(VELO, tmp_path / "old")
    shutil.copytree(VELO, tmp_path / "new")
    path = tmp_path / "new" / "schemas" / "velo.yaml"
    schemas = yaml.safe_load(path.read_text())
    schemas["StationOpened"]["properties"]["note"] = {"type": "string"}
    dump(path, schemas)
    code, out, _ = invoke(str(tmp_path / "old"), str(tmp_path / "new"), "--format", "json")
    assert code == 0
    assert [c["rule"] for c in json.loads(out)["changes"]] == ["property-added-optional"]


def test_base_head_in_this_repository_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    monkeypatch.chdir(REPO)
    code, out, err = invoke("--base", "HEAD", "--format", "json")
    tracked_unchanged = (
        subprocess.run(
            ["git", "diff", "--quiet", "HEAD", "--", "contracts"], cwd=REPO, check=False
        ).returncode
        == 0
    )
    assert code in (0, 1), err
    if tracked_unchanged:  # files not committed yet can only be additions: they break nothing
        assert code == 0, out
    assert json.loads(out)["old"] == "git:HEAD"


def test_base_against_a_working_tree_with_a_breaking_change_exits_1(repo: Path) -> None:
    code, _, _ = invoke("--base", "HEAD")
    assert code == 0
    break_velo(repo / "contracts")
    code, out, _ = invoke("--base", "HEAD", "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert (report["old"], report["new"]) == ("git:HEAD", "working tree")
    assert [c["rule"] for c in report["changes"]] == ["enum-value-added"]


def test_base_without_contracts_has_nothing_to_compare(repo: Path) -> None:
    code, out, _ = invoke("--base", "HEAD~1")
    assert code == 0
    assert "has no contracts directory: nothing to compare" in out


def test_base_without_contracts_still_prints_a_json_report(repo: Path) -> None:
    code, out, _ = invoke("--base", "HEAD~1", "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert (report["breaking"], report["changes"]) == (False, [])
    assert "nothing to compare" in report["note"]


def test_an_unknown_base_exits_2_saying_so(repo: Path) -> None:
    code, _, err = invoke("--base", "no-such-branch")
    assert code == 2
    assert "git ref 'no-such-branch' does not exist" in err


def test_arguments_are_either_two_directories_or_a_base(tmp_path: Path) -> None:
    assert invoke()[0] == 2
    assert invoke(str(VELO))[0] == 2
    assert invoke(str(VELO), str(VELO), "--base", "HEAD")[0] == 2
    assert invoke(str(VELO), str(VELO), "--format", "yaml")[0] == 2


def test_unreadable_contracts_exit_2(tmp_path: Path) -> None:
    code, _, err = invoke(str(VELO), str(tmp_path / "missing"))
    assert code == 2
    assert "contracts directory not found" in err
