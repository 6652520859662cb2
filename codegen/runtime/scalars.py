"""Scalar types for string formats that pydantic does not model the way the contract means them.

- Validators raise ValueError, which pydantic reports as a validation error (a TypeError would escape
  as a crash).
- A decimal string (`type: string, format: decimal`) is a `Decimal` in Python and a string on the wire.
  JSON numbers are refused: money must never pass through a binary float. The contract's pattern is
  enforced on the text, as a JSON Schema validator would. Generated code writes
  `Annotated[Decimal, DecimalString(pattern=...)]`, which type checkers read as a plain `Decimal`.
- A URI (`format: uri`) stays the exact string that was sent (pydantic's `AnyUrl` normalises it, which
  would change a message on a round trip); it is checked to be an absolute URI.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

__all__ = ["DecimalString", "UriString"]

_DECIMAL_TEXT = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$")


def _decimal_text(value: Decimal) -> str:
    return format(value, "f")


@dataclass(frozen=True, slots=True)
class DecimalString:
    """Annotation marker: a `Decimal` carried as a JSON string matching `pattern`."""

    pattern: str | None = None
    _compiled: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Compiled once: `re.search(str, ...)` looks the pattern up in re's cache on every call.
        object.__setattr__(self, "_compiled", re.compile(self.pattern) if self.pattern is not None else None)

    def _parse(self, value: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, str | Decimal):
            raise ValueError("a decimal must be given as a string such as '9.80', not as a number")  # noqa: TRY004 - pydantic reports ValueError as a validation error
        text = _decimal_text(value) if isinstance(value, Decimal) else value
        if not _DECIMAL_TEXT.search(text):
            raise ValueError(f"{text!r} is not a decimal number")
        if self._compiled is not None and not self._compiled.search(text):
            raise ValueError(f"{text!r} does not match {self.pattern}")
        return Decimal(text)

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            self._parse,
            serialization=core_schema.plain_serializer_function_ser_schema(
                _decimal_text, return_schema=core_schema.str_schema(), when_used="json"
            ),
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        out: JsonSchemaValue = {"type": "string", "format": "decimal"}
        if self.pattern is not None:
            out["pattern"] = self.pattern
        return out


@dataclass(frozen=True, slots=True)
class _AbsoluteUri:
    def _check(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("a URI must be a string")  # noqa: TRY004 - see above
        parts = urlsplit(value)
        if not parts.scheme or not (parts.netloc or parts.path):
            raise ValueError(f"{value!r} is not an absolute URI")
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, core_schema.str_schema())

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "format": "uri"}


UriString = Annotated[str, _AbsoluteUri()]
