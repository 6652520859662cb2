"""Finding and rewriting the `$ref`s of a document without mistaking data for references.

Examples, defaults, constants and enums are data: a `$ref` key inside them is a value, not a
reference, and must neither be resolved nor reported. Their keywords (`example`, `default`,
`enum`, ...) are only keywords where the containing object is a schema, a parameter or an
example; inside a map of names (`properties`, `responses`, `channels`, ...) they are names,
like the ubiquitous `responses: {default: ...}`, and are walked.

A `$ref` whose value is a string is always a reference: a property or header literally named
`$ref` would hold an object, not a string.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from codegen.loader.location import Location

__all__ = ["DATA_KEYWORDS", "NAME_MAPS", "is_data", "iter_refs", "rewrite_refs"]

#: Keywords whose value is data (examples and literal values), never a reference.
DATA_KEYWORDS = frozenset({"example", "examples", "default", "const", "enum", "value"})

#: Keys whose value maps names to objects: the names there are not keywords.
NAME_MAPS = frozenset(
    {
        # JSON Schema
        "properties",
        "patternProperties",
        "definitions",
        "$defs",
        "dependentSchemas",
        "dependencies",
        # AsyncAPI and OpenAPI maps of named objects
        "channels",
        "operations",
        "messages",
        "schemas",
        "parameters",
        "headers",
        "servers",
        "responses",
        "requestBodies",
        "securitySchemes",
        "links",
        "callbacks",
        "pathItems",
        "paths",
        "webhooks",
        "content",
        "encoding",
        "variables",
        "correlationIds",
        "messageTraits",
        "operationTraits",
        "serverVariables",
        "replies",
        "replyAddresses",
        "tags",
        "bindings",
        "channelBindings",
        "serverBindings",
        "operationBindings",
        "messageBindings",
        "components",
        # x-jetstream
        "streams",
        "consumers",
    }
)


def is_data(key: str, value: Any, parent_key: str | None) -> bool:
    """Whether `value`, found under `key` in an object that sits under `parent_key`, is data.

    `examples` is data when it is a list (JSON Schema, AsyncAPI); a map of OpenAPI Example
    objects is walked, and each one's `value` is data.
    """
    if key not in DATA_KEYWORDS or parent_key in NAME_MAPS:
        return False
    return not (key == "examples" and isinstance(value, dict))


def iter_refs(node: Any, at: Location) -> Iterator[tuple[Location, str]]:
    """Every `$ref` under `node`: the location of the object holding it, and the reference.

    References are not followed: this sees what is written in one document.
    """
    yield from _iter_refs(node, at, None)


def _iter_refs(node: Any, at: Location, parent_key: str | None) -> Iterator[tuple[Location, str]]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield at, ref
        for key, value in node.items():
            if key == "$ref" or is_data(key, value, parent_key):
                continue
            yield from _iter_refs(value, at.child(key), key)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _iter_refs(value, at.child(index), None)


def rewrite_refs(node: Any, rewrite: Callable[[str], str]) -> Any:
    """A copy of `node` with every reference `r` replaced by `rewrite(r)`; data is kept as is."""
    return _rewrite(node, rewrite, None)


def _rewrite(node: Any, rewrite: Callable[[str], str], parent_key: str | None) -> Any:
    if isinstance(node, dict):
        copy: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                copy[key] = rewrite(value)
            elif is_data(key, value, parent_key):
                copy[key] = value
            else:
                copy[key] = _rewrite(value, rewrite, key)
        return copy
    if isinstance(node, list):
        return [_rewrite(value, rewrite, None) for value in node]
    return node
