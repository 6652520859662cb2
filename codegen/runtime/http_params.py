"""Parsing path, query and header parameters from their raw strings, as the contract types them.

Each parameter gets one parser, built once from its `ParameterSpec`: the text becomes the Python type the
handler expects (`int`, `UUID`, an enum member, a list...) and is checked against the JSON Schema keywords
the contract gives it (`minimum`, `maxLength`, `pattern`, `maxItems`...). A value that does not fit raises
`ValueError` with a short reason ("must be <= 100"), which the server reports in `errors[].message`.
Hand-written rather than pydantic: parameters are strings, and the reasons read better this way.
"""

import math
import operator
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, get_args, get_origin

from .http_specs import ParameterSpec, wire_text

__all__ = ["ParameterParser"]

_INTEGER = re.compile(r"^-?[0-9]+$")
_DECIMAL = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$")


def _parse_bool(text: str) -> bool:
    if text == "true":
        return True
    if text == "false":
        return False
    raise ValueError("must be true or false")


def _parse_int(text: str) -> int:
    if not _INTEGER.match(text):
        raise ValueError("must be an integer")
    return int(text)


def _parse_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("must be a number") from None
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


def _parse_uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise ValueError("must be a UUID") from None


def _parse_datetime(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("must be an RFC 3339 date-time") from None
    if value.tzinfo is None:
        raise ValueError("must be an RFC 3339 date-time with a time zone offset")
    return value


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError("must be a date (YYYY-MM-DD)") from None


def _parse_decimal(text: str) -> Decimal:
    if not _DECIMAL.match(text):
        raise ValueError("must be a decimal number such as 9.80")
    return Decimal(text)


_PARSERS: Mapping[Any, Callable[[str], Any]] = {
    str: str,
    bool: _parse_bool,
    int: _parse_int,
    float: _parse_float,
    uuid.UUID: _parse_uuid,
    datetime: _parse_datetime,
    date: _parse_date,
    Decimal: _parse_decimal,
}

Check = Callable[[Any, str], None]
"""Checks a parsed value (and the text it came from); raises ValueError with the reason."""


def _string_checks(schema: Mapping[str, Any]) -> list[Check]:
    checks: list[Check] = []
    if "minLength" in schema:
        low = int(schema["minLength"])
        checks.append(lambda _, text: _require(len(text) >= low, f"must be at least {low} characters long"))
    if "maxLength" in schema:
        high = int(schema["maxLength"])
        checks.append(lambda _, text: _require(len(text) <= high, f"must be at most {high} characters long"))
    if "pattern" in schema:
        pattern = re.compile(str(schema["pattern"]))
        checks.append(
            lambda _, text: _require(pattern.search(text) is not None, f"must match {pattern.pattern}")
        )
    return checks


_BOUNDS: tuple[tuple[str, Callable[[Any, Any], bool], str], ...] = (
    ("minimum", operator.ge, ">="),
    ("maximum", operator.le, "<="),
    ("exclusiveMinimum", operator.gt, ">"),
    ("exclusiveMaximum", operator.lt, "<"),
)


def _bound_check(holds: Callable[[Any, Any], bool], bound: float, message: str) -> Check:
    return lambda value, _: _require(holds(value, bound), message)


def _number_checks(schema: Mapping[str, Any]) -> list[Check]:
    checks: list[Check] = []
    for keyword, holds, sign in _BOUNDS:
        bound = schema.get(keyword)
        if isinstance(bound, int | float) and not isinstance(bound, bool):
            checks.append(_bound_check(holds, bound, f"must be {sign} {bound}"))
    step = schema.get("multipleOf")
    if isinstance(step, int | float) and not isinstance(step, bool) and step > 0:
        checks.append(lambda value, _: _require((value / step) % 1 == 0, f"must be a multiple of {step}"))
    return checks


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _enum_parser(annotation: type[Enum]) -> Callable[[str], Any]:
    members = {wire_text(member.value): member for member in annotation}
    allowed = ", ".join(members)

    def parse_enum(text: str) -> Any:
        member = members.get(text)
        if member is None:
            raise ValueError(f"must be one of {allowed}")
        return member

    return parse_enum


def _checks(schema: Mapping[str, Any]) -> list[Check]:
    """The checks of a parameter's schema beyond its type."""
    checks = _string_checks(schema) if schema.get("type") == "string" else []
    if schema.get("type") in ("integer", "number"):
        checks += _number_checks(schema)
    if "enum" in schema:
        values = {wire_text(v) for v in schema["enum"]}
        listed = ", ".join(sorted(values))
        checks.append(lambda _, text: _require(text in values, f"must be one of {listed}"))
    if "const" in schema:
        const = wire_text(schema["const"])
        checks.append(lambda _, text: _require(text == const, f"must be {const}"))
    return checks


def _scalar_parser(annotation: Any, schema: Mapping[str, Any]) -> Callable[[str], Any]:
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return _enum_parser(annotation)
    parse = _PARSERS.get(annotation)
    if parse is None:
        raise TypeError(f"parameters of type {annotation!r} are not supported")
    checks = _checks(schema)
    if not checks:
        return parse

    def parse_checked(text: str) -> Any:
        value = parse(text)
        for check in checks:
            check(value, text)
        return value

    return parse_checked


class ParameterParser:
    """One parameter of one operation: turns its raw value(s) into the handler's argument."""

    __slots__ = (
        "default",
        "explode",
        "is_list",
        "key",
        "location",
        "name",
        "parse_item",
        "python_name",
        "required",
        "schema",
    )

    def __init__(self, spec: ParameterSpec, key: str) -> None:
        self.name = spec.name
        self.python_name = spec.python_name
        self.location = spec.location
        self.required = spec.required
        self.explode = spec.explode
        self.schema = spec.schema
        self.key = key
        """Where the raw value is: the Starlette path parameter name for path parameters, else the name."""
        self.is_list = get_origin(spec.annotation) is list
        item = get_args(spec.annotation)[0] if self.is_list else spec.annotation
        item_schema = spec.schema.get("items", {}) if self.is_list else spec.schema
        self.parse_item = _scalar_parser(item, item_schema)
        self.default: Any = None
        if spec.default is not None:
            try:
                self.default = self.parse(
                    spec.default if isinstance(spec.default, list) else wire_text(spec.default)
                )
            except ValueError as exc:
                raise ValueError(f"the default of parameter {spec.name!r} is not valid: {exc}") from None

    def parse(self, raw: str | list[Any]) -> Any:
        """`raw`: one string (comma-separated for arrays that do not explode) or a query's repeated values."""
        if not self.is_list:
            return self.parse_item(raw if isinstance(raw, str) else wire_text(raw[-1]))
        texts = raw if isinstance(raw, list) else [t.strip() for t in raw.split(",")] if raw else []
        values = []
        for i, text in enumerate(texts):
            try:
                values.append(self.parse_item(wire_text(text)))
            except ValueError as exc:
                raise ValueError(f"item {i}: {exc}") from None
        low, high = self.schema.get("minItems"), self.schema.get("maxItems")
        if isinstance(low, int) and len(values) < low:
            raise ValueError(f"must have at least {low} items")
        if isinstance(high, int) and len(values) > high:
            raise ValueError(f"must have at most {high} items")
        if self.schema.get("uniqueItems") and len(set(map(wire_text, values))) != len(values):
            raise ValueError("must not repeat items")
        return values
