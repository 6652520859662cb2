"""The jinja2 environment every template renders in.

`StrictUndefined` turns a name a template expects but the model lacks into an error at generation time,
instead of an empty string in the generated code.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2

from codegen.parser.schemas import python_identifier, snake_case

__all__ = ["environment"]

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _upper_snake(text: str) -> str:
    return snake_case(text).upper()


def _camel_to_class(text: str) -> str:
    return re.sub(r"(?:^|[_\-.\s])(\w)", lambda m: m.group(1).upper(), text[:1].upper() + text[1:])


def _pyrepr(value: Any) -> str:
    """A Python literal for plain data (str, numbers, tuples, dicts), stable across runs."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_pyrepr(k)}: {_pyrepr(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple):
        inner = ", ".join(_pyrepr(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(_pyrepr(v) for v in value) + "]"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return repr(value)


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - the output is Python source, not HTML
    )
    env.filters["upper_snake"] = _upper_snake
    env.filters["snake"] = python_identifier
    env.filters["class_name"] = _camel_to_class
    env.filters["py"] = _pyrepr
    return env
