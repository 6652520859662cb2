"""Fixtures of the contract toolchain tests: a private copy of contracts/ to break, and helpers.

Each rule test copies the real contracts into `tmp_path`, applies one targeted mutation and
lints the copy: the real contracts pass every rule, so whatever the copy reports comes from
the mutation. The OpenAPI fixture is written here rather than taken from contracts/openapi/,
so the OpenAPI tests do not depend on how the service documents evolve.
"""

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from codegen.lint import LintError, lint
from codegen.loader import load_contracts
from codegen.loader.yaml_source import parse_yaml

REPO = Path(__file__).resolve().parents[2]
CONTRACTS = REPO / "contracts"

OPENAPI_FIXTURE = """\
openapi: 3.1.0
info:
  title: Fixture service
  version: 1.0.0
paths:
  /things/{thingId}:
    get:
      operationId: getThing
      summary: One thing
      x-a4co-sla-ms: 50
      parameters:
        - name: thingId
          in: path
          required: true
          schema:
            type: string
            format: uuid
          example: 3f6e7083-849d-50c6-ac02-03dd1ac3416a
      responses:
        '200':
          description: The thing.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Thing'
              examples:
                baeza:
                  $ref: '#/components/examples/Thing'
        default:
          description: Anything else.
components:
  schemas:
    Thing:
      type: object
      title: Thing
      required: [thingId, price]
      properties:
        thingId:
          type: string
          format: uuid
        price:
          $ref: '../schemas/common.yaml#/Money'
        madeAt:
          type: string
          format: date-time
          examples: ['2026-11-20T10:15:00+01:00']
        contact:
          type: string
          format: email
          examples: [maria@example.com]
        homepage:
          type: string
          format: uri
          examples: ['https://a4co.example/artisans/1']
        workshopIp:
          type: string
          format: ipv4
          examples: [192.0.2.10]
  examples:
    Thing:
      summary: A bottle of oil
      value:
        thingId: f5a1a29e-08f3-582a-b645-1205fcc02348
        price:
          amount: '9.80'
          currency: EUR
"""


def read(path: Path) -> Any:
    """A contract file as the loader reads it."""
    return parse_yaml(path.read_text(encoding="utf-8"), file=path.name)


def write(path: Path, data: Any) -> None:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    path.write_text(yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True), encoding="utf-8")


def edit(root: Path, file: str, change: Callable[[Any], None]) -> None:
    """Apply `change` to the parsed `file` of the contracts at `root` and write it back."""
    path = root / file
    data = read(path)
    change(data)
    write(path, data)


def lint_dir(root: Path) -> list[LintError]:
    return lint(load_contracts(root))


def found(errors: list[LintError]) -> list[tuple[str, str, str]]:
    """What a test compares: rule, file and pointer of each error."""
    return [(error.rule_id, error.file, error.pointer) for error in errors]


@pytest.fixture
def contracts_copy(tmp_path: Path) -> Path:
    """A copy of contracts/ with the small OpenAPI fixture added as openapi/fixture.yaml."""
    root = tmp_path / "contracts"
    shutil.copytree(CONTRACTS, root)
    (root / "openapi").mkdir(exist_ok=True)
    (root / "openapi" / "fixture.yaml").write_text(OPENAPI_FIXTURE, encoding="utf-8")
    return root
