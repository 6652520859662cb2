"""Proof that the rules say what the generated models really do.

Every case of `cases.py` is generated twice with the project's generator (parser, datamodel-code-
generator, ruff: the same `build` as `a4co codegen generate`), old and new, in ONE run for all
cases (a module per case and side; about a second). Then, as consumers read:

- FORWARD: the case's `forward` witness, valid under the NEW schema, is read by the OLD model;
- BACKWARD: the `backward` witness, valid under the OLD schema, is read by the NEW model;

with the SDK's tolerant reader (`read_model_json`: strict JSON, unknown fields ignored; headers
with `read_model`). The read must fail exactly when the case's rules say that direction breaks.
"""

import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from jsonschema import Draft7Validator, FormatChecker
from pydantic import BaseModel, ValidationError

from codegen.output import write
from codegen.parser import parse
from codegen.project import GeneratorConfig, build
from tests.codegen.diff.cases import CASES, Case, breaks
from tests.codegen.diff.contracts import PAYLOAD, asyncapi, channel, dump, message

PACKAGE = "diff_proof_sdk"
SIDES = ("old", "new")


def _stem(case: Case, side: str) -> str:
    return f"{case.slug}_{side}"


def _schemas(case: Case, side: str) -> dict[str, Any]:
    subject, defs = (case.old, case.old_defs) if side == "old" else (case.new, case.new_defs)
    return {"Subject": subject, **defs, "Body": {"type": "object"}}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("diff-proof")
    contracts = root / "contracts"
    channels: dict[str, Any] = {}
    for index, case in enumerate(CASES):
        for side in SIDES:
            stem = _stem(case, side)
            dump(contracts / "schemas" / f"{stem}.yaml", _schemas(case, side))
            subject = {"$ref": f"./schemas/{stem}.yaml#/Subject"}
            body = {"$ref": f"./schemas/{stem}.yaml#/Body"}
            name = f"Case{index}{side.title()}"
            found = message(name, subject) if case.part == PAYLOAD else message(name, body, headers=subject)
            channels[stem] = channel(f"proof.{case.slug}.{side}.v1", {name: found})
    dump(contracts / "asyncapi.yaml", asyncapi(channels))
    config = GeneratorConfig(PACKAGE, PACKAGE.replace("_", "-"), contracts, root / "out")
    write(build(parse(contracts, package=PACKAGE), config), config.output)
    sys.path.insert(0, str(config.output))
    yield root
    sys.path.remove(str(config.output))
    for name in [m for m in sys.modules if m.startswith(PACKAGE)]:
        del sys.modules[name]


def _model(case: Case, side: str) -> type[BaseModel]:
    model: type[BaseModel] = importlib.import_module(f"{PACKAGE}.models.{_stem(case, side)}").Subject
    return model


def _reader(case: Case) -> Callable[[type[BaseModel], Any], BaseModel]:
    runtime = importlib.import_module(f"{PACKAGE}._runtime.model")
    if case.part == PAYLOAD:
        return lambda model, data: runtime.read_model_json(model, orjson.dumps(data))
    reader: Callable[[type[BaseModel], Any], BaseModel] = runtime.read_model
    return reader


def _reads(case: Case, side: str, data: Any) -> bool:
    try:
        _reader(case)(_model(case, side), data)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_each_witness_is_valid_under_the_schema_it_was_written_for(case: Case) -> None:
    for side, witness in (("new", case.forward), ("old", case.backward)):
        schema = {"$ref": "#/Subject", **_schemas(case, side)}
        errors = [
            e.message for e in Draft7Validator(schema, format_checker=FormatChecker()).iter_errors(witness)
        ]
        assert errors == [], f"{side} witness of {case.id}"


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_each_witness_is_read_by_the_model_of_its_own_version(generated: Path, case: Case) -> None:
    assert _reads(case, "new", case.forward), "the new model rejects its own forward witness"
    assert _reads(case, "old", case.backward), "the old model rejects its own backward witness"


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_old_readers_fail_on_new_events_exactly_when_the_rules_say_forward_breaks(
    generated: Path, case: Case
) -> None:
    forward_breaks, _ = breaks(case)
    assert _reads(case, "old", case.forward) is not forward_breaks


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_new_readers_fail_on_stored_events_exactly_when_the_rules_say_backward_breaks(
    generated: Path, case: Case
) -> None:
    _, backward_breaks = breaks(case)
    assert _reads(case, "new", case.backward) is not backward_breaks
