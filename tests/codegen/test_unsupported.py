"""What the generator cannot turn into code fails with the file and JSON pointer, never a traceback."""

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from a4co.cli import app
from codegen.errors import ContractError
from codegen.parser import parse

VELO = Path(__file__).parent / "fixtures" / "velo"


def broken(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    root = tmp_path / "contracts"
    shutil.copytree(VELO, root)
    document = yaml.safe_load((root / "asyncapi.yaml").read_text())
    change(document)
    (root / "asyncapi.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return root


CASES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "request-reply": (
        lambda d: d["operations"]["publishRentalStarted"].update(
            reply={"address": {"location": "$message.header#/r"}}
        ),
        "asyncapi.yaml#/operations/publishRentalStarted/reply",
    ),
    "runtime-address": (
        lambda d: d["channels"]["rentalStarted"].update(address=None),
        "asyncapi.yaml#/channels/rentalStarted",
    ),
    "avro-payload": (
        lambda d: d["components"]["messages"]["RentalStarted"].update(
            schemaFormat="application/vnd.apache.avro+json;version=1.9.0"
        ),
        "asyncapi.yaml#/components/messages/RentalStarted",
    ),
    "string-payload": (
        lambda d: d["components"]["schemas"]["AuditRecord"].update(type="string"),
        "asyncapi.yaml#/components/messages/AuditRecord/payload",
    ),
    "missing-ref": (
        lambda d: d["components"]["messages"]["StationOpened"].update(
            payload={"$ref": "./schemas/nope.yaml#/X"}
        ),
        "asyncapi.yaml#/components/messages/StationOpened/payload",
    ),
    "bad-duration": (
        lambda d: d["x-jetstream"]["streams"]["VELO"].update(duplicate_window="two minutes"),
        "asyncapi.yaml#/x-jetstream/streams/VELO/duplicate_window",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_unsupported_construct_is_reported_with_file_and_pointer(tmp_path: Path, case: str) -> None:
    change, where = CASES[case]
    root = broken(tmp_path, change)
    with pytest.raises(ContractError) as raised:
        parse(root, package="velo_sdk")
    assert where in str(raised.value) or (
        getattr(raised.value, "file", None) == where.split("#")[0]
        and getattr(raised.value, "pointer", None) == where.split("#")[1]
    ), str(raised.value)


def test_an_unknown_envelope_role_names_the_header(tmp_path: Path) -> None:
    root = broken(tmp_path, lambda d: None)
    schemas = root / "schemas" / "velo.yaml"
    schemas.write_text(schemas.read_text().replace("x-a4co-envelope: traceparent", "x-a4co-envelope: trace"))
    with pytest.raises(
        ContractError,
        match=r"schemas/velo.yaml#/TrackingHeaders/properties/parent: unknown envelope role 'trace'",
    ):
        parse(root, package="velo_sdk")


def test_the_cli_prints_the_error_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken(tmp_path, CASES["request-reply"][0])
    (tmp_path / "pyproject.toml").write_text(
        '[tool.a4co.codegen]\ncontracts = "contracts"\noutput = "out"\n'
        'package = "velo_sdk"\ndistribution = "velo-sdk"\n'
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["codegen", "generate"])
    assert result.exit_code == 2
    assert "request/reply operations (reply) are not supported" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
