"""A JSON Schema as the comparison sees it: `$ref`s followed, `allOf` merged, null set apart.

Two schemas that accept the same documents must look the same here, whatever way they are
written, or a refactor would be reported as a change: a `$ref` is followed (and its target's
name kept only to match union branches), `allOf` members are merged into one object schema,
`type: [string, "null"]`, `anyOf: [X, {type: null}]` and a `null` enum value all become
`nullable`, and a union left with one branch is that branch. Siblings of a `$ref` are ignored,
as the code generator ignores them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from codegen.errors import ContractError

if TYPE_CHECKING:
    from codegen.loader.location import Location
    from codegen.loader.resolver import Resolver

__all__ = ["Slot", "View", "json_type", "view"]

_UNION_KEYWORDS = ("oneOf", "anyOf")
_OBJECT_HINTS = ("properties", "required", "additionalProperties")


@dataclass(frozen=True, slots=True)
class Slot:
    """A schema as written at a location, not yet dereferenced."""

    node: Any
    at: Location


@dataclass(frozen=True)
class View:
    """One side of a comparison: the effective schema and what it accepts, in summary."""

    at: Location
    schema: dict[str, Any]
    #: the key of the last `$ref` target (`Money` for `common.yaml#/Money`), if reached by one
    name: str | None
    #: JSON types accepted besides null; None when the schema does not restrict the type
    types: frozenset[str] | None
    nullable: bool
    #: the non-null branches of a oneOf/anyOf with at least two of them
    branches: tuple[Slot, ...] = ()
    #: properties from the schema and its allOf members, each where it is written
    properties: dict[str, Slot] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    #: where each keyword of `schema` is written (the schema itself or an allOf member)
    origins: dict[str, Location] = field(default_factory=dict)
    #: the `$ref` that could not be followed, when there was one
    unresolved: str | None = None

    def keyword_at(self, keyword: str) -> Location:
        """The location of `keyword` (or of the schema, for a keyword it does not have)."""
        origin = self.origins.get(keyword, self.at)
        return origin.child(keyword) if keyword in self.schema else origin


def json_type(value: Any) -> str:
    """The JSON Schema type of a JSON value (`1` is an integer, `1.5` a number)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def view(resolver: Resolver, slot: Slot) -> View:
    """The effective schema at `slot`."""
    try:
        node, at, name = _deref(resolver, slot)
    except ContractError:
        ref = slot.node.get("$ref") if isinstance(slot.node, dict) else None
        return View(slot.at, {}, None, None, nullable=False, unresolved=str(ref))
    if not isinstance(node, dict):
        # `true`/`false` schemas and junk: nothing the generator models
        return View(at, {}, name, None, nullable=False)
    schema, origins, properties, required = _merge_all_of(resolver, node, at, frozenset())
    branches: list[Slot] = []
    nullable = False
    for keyword in _UNION_KEYWORDS:
        for index, branch in enumerate(schema.get(keyword) or []):
            branch_slot = Slot(branch, origins.get(keyword, at).child(keyword, index))
            if _is_null_schema(resolver, branch_slot):
                nullable = True
            else:
                branches.append(branch_slot)
    if len(branches) == 1 and not properties:
        single = view(resolver, branches[0])
        return replace(single, nullable=True) if nullable else single
    types, typed_null = _types(schema, properties)
    return View(
        at=at,
        schema=schema,
        name=name,
        types=types,
        nullable=nullable or typed_null,
        branches=tuple(branches) if len(branches) > 1 else (),
        properties=properties,
        required=required,
        origins=origins,
    )


def _deref(resolver: Resolver, slot: Slot) -> tuple[Any, Location, str | None]:
    node, at = resolver.deref(slot.node, slot.at)
    name = at.tokens[-1] if at != slot.at and at.tokens else None
    return node, at, name


def _merge_all_of(
    resolver: Resolver, node: dict[str, Any], at: Location, seen: frozenset[Location]
) -> tuple[dict[str, Any], dict[str, Location], dict[str, Slot], frozenset[str]]:
    """The schema with its allOf members folded in: their properties and required names join the
    schema's own, and their other keywords apply where the schema does not set them."""
    schema = {key: value for key, value in node.items() if key != "allOf"}
    origins = dict.fromkeys(schema, at)
    properties = {
        name: Slot(sub, at.child("properties", name)) for name, sub in (node.get("properties") or {}).items()
    }
    required = frozenset(r for r in node.get("required") or [] if isinstance(r, str))
    for index, member in enumerate(node.get("allOf") or []):
        try:
            target, target_at = resolver.deref(member, at.child("allOf", index))
        except ContractError:
            continue
        if not isinstance(target, dict) or target_at in seen:
            continue
        sub, sub_origins, sub_properties, sub_required = _merge_all_of(
            resolver, target, target_at, seen | {target_at}
        )
        for key, value in sub.items():
            if key not in schema:
                schema[key] = value
                origins[key] = sub_origins[key]
        for name, prop in sub_properties.items():
            properties.setdefault(name, prop)
        required |= sub_required
    if properties:
        schema["properties"] = {name: prop.node for name, prop in properties.items()}
    return schema, origins, properties, required


def _is_null_schema(resolver: Resolver, slot: Slot) -> bool:
    try:
        node, _ = resolver.deref(slot.node, slot.at)
    except ContractError:
        return False
    return isinstance(node, dict) and node.get("type") in ("null", ["null"])


def _types(schema: dict[str, Any], properties: dict[str, Slot]) -> tuple[frozenset[str] | None, bool]:
    """The non-null types the schema accepts (None: any), and whether it names null itself."""
    written = schema.get("type")
    if isinstance(written, str):
        types = {written}
    elif isinstance(written, list):
        types = {t for t in written if isinstance(t, str)}
    elif "enum" in schema and isinstance(schema["enum"], list):
        types = {json_type(value) for value in schema["enum"]}
    elif "const" in schema:
        types = {json_type(schema["const"])}
    elif properties or any(hint in schema for hint in _OBJECT_HINTS):
        types = {"object"}
    elif "items" in schema:
        types = {"array"}
    else:
        return None, False
    enum = schema.get("enum")
    nullable = "null" in types or (isinstance(enum, list) and None in enum)
    return frozenset(types - {"null"}), nullable
