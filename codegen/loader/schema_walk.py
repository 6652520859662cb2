"""Walking the subschemas of a JSON Schema, draft-07 and 2020-12 keywords alike.

The shared schemas are read by both dialects (AsyncAPI's draft-07, OpenAPI 3.1's 2020-12), so
the walk knows the applicators of both. References are not followed: the walk sees what is
written where, which is what a lint about how schemas are written needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

    from codegen.loader.location import Location

__all__ = ["iter_schemas", "iter_subschemas"]

_ONE = (
    "additionalItems",
    "additionalProperties",
    "contains",
    "contentSchema",
    "else",
    "if",
    "items",
    "not",
    "propertyNames",
    "then",
    "unevaluatedItems",
    "unevaluatedProperties",
)
_LIST = ("allOf", "anyOf", "oneOf", "items", "prefixItems")
_MAP = ("properties", "patternProperties", "definitions", "$defs", "dependentSchemas", "dependencies")


def iter_schemas(schema: Any, at: Location) -> Iterator[tuple[Location, dict[str, Any]]]:
    """`schema` itself (when it is an object) and then every subschema, depth first."""
    if isinstance(schema, dict):
        yield at, schema
        yield from iter_subschemas(schema, at)


def iter_subschemas(schema: dict[str, Any], at: Location) -> Iterator[tuple[Location, dict[str, Any]]]:
    """Every subschema of `schema` (not `schema` itself), depth first, with its location."""
    for keyword in _ONE:
        yield from iter_schemas(schema.get(keyword), at.child(keyword))
    for keyword in _LIST:
        value = schema.get(keyword)
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from iter_schemas(item, at.child(keyword, index))
    for keyword in _MAP:
        value = schema.get(keyword)
        if isinstance(value, dict):
            for name, item in value.items():
                yield from iter_schemas(item, at.child(keyword, name))
