"""Reading contract files: YAML parsed into plain JSON values, with libyaml when available.

Contracts are JSON documents written in YAML, so the loader keeps to what JSON can hold and
to what the Node tools (the official AsyncAPI parser) read from the same text:

- timestamps stay strings (`occurred-at: 2026-11-20T10:15:00+01:00` is not a `datetime`);
- only `true`/`false` are booleans (YAML 1.2); `yes`, `no`, `on`, `off` stay strings;
- mapping keys are strings (`200:` under `responses` is the key `"200"`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import yaml

from codegen.errors import LoadError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["parse_yaml", "read_yaml"]

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # PyYAML built without libyaml: same results, about ten times slower
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]  # same interface, pure Python

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_BOOL_TAG = "tag:yaml.org,2002:bool"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _ContractLoader(_BaseLoader):
    """SafeLoader with YAML 1.2 booleans, no timestamps and string keys."""


_ContractLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in {_BOOL_TAG, _TIMESTAMP_TAG}]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
_ContractLoader.add_implicit_resolver(_BOOL_TAG, _BOOL, list("tTfF"))


def _construct_mapping(loader: _ContractLoader, node: yaml.MappingNode) -> dict[str, Any]:
    loader.flatten_mapping(node)
    pairs = loader.construct_pairs(node, deep=True)
    return {_key(key): value for key, value in pairs}


def _key(key: object) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


_ContractLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def parse_yaml(text: str, *, file: str) -> Any:
    """Parse one YAML document; `file` only names it in a `LoadError`."""
    try:
        return yaml.load(text, Loader=_ContractLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
        raise LoadError(f"not valid YAML: {exc.problem or exc}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise LoadError(f"not valid YAML: {exc}", file=file) from None


def read_yaml(path: Path, *, file: str) -> Any:
    """Read and parse the YAML file at `path`; `file` is how errors name it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LoadError("file not found", file=file) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError(f"cannot read: {exc}", file=file) from None
    return parse_yaml(text, file=file)
