"""One case per schema rule: the schema before and after, the rules expected, and two witnesses.

`forward` is a document valid under the NEW schema, which the OLD model must read when the change
keeps forward compatibility and must reject when it breaks it; `backward` is valid under the OLD
schema and is read by the NEW model. `test_rules.py` checks the detector finds exactly `expect`;
`test_proof.py` generates both models with the project's generator and checks the witnesses.
"""

from dataclasses import dataclass, field
from typing import Any

from codegen.diff import RULES, Direction
from tests.codegen.diff.contracts import HEADERS, PAYLOAD

UUID = "3f6e7083-849d-50c6-ac02-03dd1ac3416a"


@dataclass(frozen=True)
class Case:
    id: str
    old: dict[str, Any]
    new: dict[str, Any]
    #: rule id -> severity under the default full mode
    expect: dict[str, str]
    forward: Any
    backward: Any
    #: other named schemas of the case's file (branches of a union, a $ref target)
    old_defs: dict[str, Any] = field(default_factory=dict)
    new_defs: dict[str, Any] = field(default_factory=dict)
    part: str = PAYLOAD

    @property
    def slug(self) -> str:
        return self.id.replace("-", "_")


def obj(properties: dict[str, Any], *required: str, **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"type": "object"}
    if required:
        found["required"] = list(required)
    return {**found, "properties": properties, **extra}


def value(schema: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
    """An object whose one property `value` has `schema`."""
    return obj({"value": schema}, *(["value"] if required else []))


def v(x: Any) -> dict[str, Any]:
    return {"value": x}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}


def card(tag: str = "kind") -> dict[str, Any]:
    return obj({tag: {"type": "string", "const": "card"}, "pan": STRING}, tag, "pan")


def wallet(tag: str = "kind") -> dict[str, Any]:
    return obj({tag: {"type": "string", "const": "wallet"}, "walletId": STRING}, tag, "walletId")


CASH = obj({"kind": {"type": "string", "const": "cash"}}, "kind")
TAGGED = {"oneOf": [{"$ref": "#/Card"}, {"$ref": "#/Wallet"}], "discriminator": "kind"}
TAGGED_3 = {"oneOf": [{"$ref": "#/Card"}, {"$ref": "#/Wallet"}, {"$ref": "#/Cash"}], "discriminator": "kind"}
BRANCHES = {"Card": card(), "Wallet": wallet()}
CARD_DATA = {"kind": "card", "pan": "4111"}

B, W, C = "breaking", "warning", "compatible"

CASES: list[Case] = [
    # -- properties --------------------------------------------------------------------------
    Case(
        "property-added-optional",
        obj({"a": STRING}, "a"),
        obj({"a": STRING, "b": INTEGER}, "a"),
        {"property-added-optional": C},
        forward={"a": "x", "b": 1},
        backward={"a": "x"},
    ),
    Case(
        "property-added-required",
        obj({"a": STRING}, "a"),
        obj({"a": STRING, "b": INTEGER}, "a", "b"),
        {"property-added-required": B},
        forward={"a": "x", "b": 1},
        backward={"a": "x"},
    ),
    Case(
        "property-removed-required",
        obj({"a": STRING, "b": INTEGER}, "a", "b"),
        obj({"a": STRING}, "a"),
        {"property-removed-required": B},
        forward={"a": "x"},
        backward={"a": "x", "b": 1},
    ),
    Case(
        "property-removed-optional",
        obj({"a": STRING, "b": INTEGER}, "a"),
        obj({"a": STRING}, "a"),
        {"property-removed-optional": W},
        forward={"a": "x"},
        backward={"a": "x", "b": 1},
    ),
    Case(
        "property-became-required",
        obj({"a": STRING, "b": INTEGER}, "a"),
        obj({"a": STRING, "b": INTEGER}, "a", "b"),
        {"property-became-required": B},
        forward={"a": "x", "b": 1},
        backward={"a": "x"},
    ),
    Case(
        "property-became-optional",
        obj({"a": STRING, "b": INTEGER}, "a", "b"),
        obj({"a": STRING, "b": INTEGER}, "a"),
        {"property-became-optional": B},
        forward={"a": "x"},
        backward={"a": "x", "b": 1},
    ),
    Case(
        "additional-properties-narrowed",
        obj({"a": STRING}, "a"),
        obj({"a": STRING}, "a", additionalProperties=False),
        {"additional-properties-narrowed": W},
        forward={"a": "x"},
        backward={"a": "x", "z": 1},
    ),
    Case(
        "nested-property-added-required",
        value({"$ref": "#/Inner"}),
        value({"$ref": "#/Inner"}),
        {"property-added-required": B},
        forward=v({"a": "x", "b": "y"}),
        backward=v({"a": "x"}),
        old_defs={"Inner": obj({"a": STRING}, "a")},
        new_defs={"Inner": obj({"a": STRING, "b": STRING}, "a", "b")},
    ),
    # -- types ---------------------------------------------------------------------------------
    Case(
        "type-changed",
        value(STRING),
        value(INTEGER),
        {"type-changed": B},
        forward=v(1),
        backward=v("x"),
    ),
    Case(
        "type-widened",
        value(INTEGER),
        value({"type": "number"}),
        {"type-widened": B},
        forward=v(1.5),
        backward=v(2),
    ),
    Case(
        "type-widened-list",
        value(STRING),
        value({"type": ["string", "integer"]}),
        {"type-widened": B},
        forward=v(3),
        backward=v("x"),
    ),
    Case(
        "type-narrowed",
        value({"type": "number"}),
        value(INTEGER),
        {"type-narrowed": B},
        forward=v(2),
        backward=v(1.5),
    ),
    Case(
        "items-type-changed",
        value({"type": "array", "items": STRING}),
        value({"type": "array", "items": INTEGER}),
        {"type-changed": B},
        forward=v([1]),
        backward=v(["x"]),
    ),
    Case(
        "map-value-narrowed",
        value({"type": "object", "additionalProperties": {"type": ["string", "integer"]}}),
        value({"type": "object", "additionalProperties": STRING}),
        {"type-narrowed": B},
        forward=v({"k": "x"}),
        backward=v({"k": 1}),
    ),
    Case(
        "nullable-added",
        value(STRING),
        value({"type": ["string", "null"]}),
        {"nullable-added": B},
        forward=v(None),
        backward=v("x"),
    ),
    Case(
        "nullable-removed",
        value({"type": ["string", "null"]}),
        value(STRING),
        {"nullable-removed": B},
        forward=v("x"),
        backward=v(None),
    ),
    Case(
        "nullable-changed-optional",
        value(STRING, required=False),
        value({"type": ["string", "null"]}, required=False),
        {"nullable-changed-optional": C},
        forward=v(None),
        backward=v("x"),
    ),
    # -- formats -------------------------------------------------------------------------------
    Case(
        "format-added",
        value(STRING),
        value({"type": "string", "format": "uuid"}),
        {"format-added": B},
        forward=v(UUID),
        backward=v("not-a-uuid"),
    ),
    Case(
        "format-removed",
        value({"type": "string", "format": "uuid"}),
        value(STRING),
        {"format-removed": B},
        forward=v("not-a-uuid"),
        backward=v(UUID),
    ),
    Case(
        "format-changed",
        value({"type": "string", "format": "uuid"}),
        value({"type": "string", "format": "date"}),
        {"format-changed": B},
        forward=v("2026-11-20"),
        backward=v(UUID),
    ),
    Case(
        "format-added-date-time",
        value(STRING),
        value({"type": "string", "format": "date-time"}),
        {"format-added": B},
        forward=v("2026-11-20T10:15:00+01:00"),
        backward=v("yesterday"),
    ),
    Case(
        "format-annotation-changed",
        value({"type": "string", "format": "slug"}),
        value({"type": "string", "format": "handle"}),
        {"format-annotation-changed": W},
        forward=v("any thing"),
        backward=v("any thing"),
    ),
    # -- enums and consts ----------------------------------------------------------------------
    Case(
        "enum-value-added",
        value({"type": "string", "enum": ["a", "b"]}),
        value({"type": "string", "enum": ["a", "b", "c"]}),
        {"enum-value-added": B},
        forward=v("c"),
        backward=v("a"),
    ),
    Case(
        "enum-value-removed",
        value({"type": "string", "enum": ["a", "b", "c"]}),
        value({"type": "string", "enum": ["a", "b"]}),
        {"enum-value-removed": B},
        forward=v("a"),
        backward=v("c"),
    ),
    Case(
        "enum-added",
        value(STRING),
        value({"type": "string", "enum": ["a", "b"]}),
        {"enum-added": B},
        forward=v("a"),
        backward=v("zzz"),
    ),
    Case(
        "enum-removed",
        value({"type": "string", "enum": ["a", "b"]}),
        value(STRING),
        {"enum-removed": B},
        forward=v("zzz"),
        backward=v("a"),
    ),
    Case(
        "const-added",
        value(STRING),
        value({"type": "string", "const": "x"}),
        {"const-added": B},
        forward=v("x"),
        backward=v("y"),
    ),
    Case(
        "const-removed",
        value({"type": "string", "const": "x"}),
        value(STRING),
        {"const-removed": B},
        forward=v("y"),
        backward=v("x"),
    ),
    Case(
        "const-changed",
        value({"type": "string", "const": "x"}),
        value({"type": "string", "const": "y"}),
        {"const-changed": B},
        forward=v("y"),
        backward=v("x"),
    ),
    # -- bounds and patterns -------------------------------------------------------------------
    Case(
        "bound-tightened",
        value({"type": "integer", "maximum": 80}),
        value({"type": "integer", "maximum": 50}),
        {"bound-tightened": B},
        forward=v(40),
        backward=v(70),
    ),
    Case(
        "bound-relaxed",
        value({"type": "integer", "maximum": 50}),
        value({"type": "integer", "maximum": 80}),
        {"bound-relaxed": B},
        forward=v(70),
        backward=v(40),
    ),
    Case(
        "bound-removed",
        value({"type": "integer", "minimum": 1}),
        value(INTEGER),
        {"bound-relaxed": B},
        forward=v(0),
        backward=v(1),
    ),
    Case(
        "bound-exclusive-tightened",
        value({"type": "number", "minimum": 0}),
        value({"type": "number", "exclusiveMinimum": 0}),
        {"bound-tightened": B},
        forward=v(0.5),
        backward=v(0),
    ),
    Case(
        "length-tightened",
        value({"type": "string", "minLength": 1}),
        value({"type": "string", "minLength": 3}),
        {"bound-tightened": B},
        forward=v("abc"),
        backward=v("ab"),
    ),
    Case(
        "items-relaxed",
        value({"type": "array", "items": INTEGER, "maxItems": 2}),
        value({"type": "array", "items": INTEGER, "maxItems": 5}),
        {"bound-relaxed": B},
        forward=v([1, 2, 3]),
        backward=v([1]),
    ),
    Case(
        "map-entries-tightened",
        value({"type": "object", "additionalProperties": STRING}),
        value({"type": "object", "additionalProperties": STRING, "minProperties": 1}),
        {"bound-tightened": B},
        forward=v({"k": "x"}),
        backward=v({}),
    ),
    Case(
        "multiple-of-tightened",
        value({"type": "integer", "multipleOf": 2}),
        value({"type": "integer", "multipleOf": 4}),
        {"bound-tightened": B},
        forward=v(8),
        backward=v(6),
    ),
    Case(
        "multiple-of-changed",
        value({"type": "integer", "multipleOf": 2}),
        value({"type": "integer", "multipleOf": 3}),
        {"multiple-of-changed": B},
        forward=v(3),
        backward=v(2),
    ),
    Case(
        "pattern-added",
        value(STRING),
        value({"type": "string", "pattern": "^a"}),
        {"pattern-added": B},
        forward=v("abc"),
        backward=v("xyz"),
    ),
    Case(
        "pattern-removed",
        value({"type": "string", "pattern": "^a"}),
        value(STRING),
        {"pattern-removed": B},
        forward=v("xyz"),
        backward=v("abc"),
    ),
    Case(
        "pattern-changed",
        value({"type": "string", "pattern": "^a"}),
        value({"type": "string", "pattern": "^b"}),
        {"pattern-changed": B},
        forward=v("b"),
        backward=v("a"),
    ),
    Case(
        "unique-items-changed",
        value({"type": "array", "items": INTEGER}),
        value({"type": "array", "items": INTEGER, "uniqueItems": True}),
        {"unique-items-changed": W},
        forward=v([1, 2]),
        backward=v([1, 1]),
    ),
    Case(
        "default-changed",
        value({"type": "integer", "default": 1}, required=False),
        value({"type": "integer", "default": 2}, required=False),
        {"default-changed": W},
        forward={},
        backward=v(5),
    ),
    # -- unions --------------------------------------------------------------------------------
    Case(
        "union-branch-added",
        value({"$ref": "#/Instrument"}),
        value({"$ref": "#/Instrument"}),
        {"union-branch-added": B},
        forward=v({"kind": "cash"}),
        backward=v(CARD_DATA),
        old_defs={"Instrument": TAGGED, **BRANCHES},
        new_defs={"Instrument": TAGGED_3, **BRANCHES, "Cash": CASH},
    ),
    Case(
        "union-branch-removed",
        value({"$ref": "#/Instrument"}),
        value({"$ref": "#/Instrument"}),
        {"union-branch-removed": B},
        forward=v(CARD_DATA),
        backward=v({"kind": "cash"}),
        old_defs={"Instrument": TAGGED_3, **BRANCHES, "Cash": CASH},
        new_defs={"Instrument": TAGGED, **BRANCHES},
    ),
    Case(
        "union-branch-added-untagged",
        value({"anyOf": [STRING, INTEGER]}),
        value({"anyOf": [STRING, INTEGER, {"type": "boolean"}]}),
        {"union-branch-added": B},
        forward={"value": True},
        backward=v(1),
    ),
    Case(
        "union-from-single-type",
        value(STRING),
        value({"oneOf": [STRING, INTEGER]}),
        {"union-branch-added": B},
        forward=v(1),
        backward=v("x"),
    ),
    Case(
        "discriminator-changed",
        value({"$ref": "#/Instrument"}),
        value({"$ref": "#/Instrument"}),
        {"discriminator-changed": B, "property-added-required": B, "property-removed-required": B},
        forward=v({"type": "card", "pan": "4111"}),
        backward=v(CARD_DATA),
        old_defs={"Instrument": TAGGED, **BRANCHES},
        new_defs={
            "Instrument": {**TAGGED, "discriminator": "type"},
            "Card": card("type"),
            "Wallet": wallet("type"),
        },
    ),
    Case(
        "discriminator-added",
        value({"$ref": "#/Instrument"}),
        value({"$ref": "#/Instrument"}),
        {"discriminator-added": W},
        forward=v(CARD_DATA),
        backward=v({"kind": "wallet", "walletId": "w"}),
        old_defs={"Instrument": {"oneOf": TAGGED["oneOf"]}, **BRANCHES},
        new_defs={"Instrument": TAGGED, **BRANCHES},
    ),
    Case(
        "discriminator-removed",
        value({"$ref": "#/Instrument"}),
        value({"$ref": "#/Instrument"}),
        {"discriminator-removed": W},
        forward=v(CARD_DATA),
        backward=v({"kind": "wallet", "walletId": "w"}),
        old_defs={"Instrument": TAGGED, **BRANCHES},
        new_defs={"Instrument": {"oneOf": TAGGED["oneOf"]}, **BRANCHES},
    ),
    # -- refactors that change nothing ---------------------------------------------------------
    Case(
        "description-changed",
        obj({"a": {"type": "string", "description": "old", "examples": ["x"]}}, "a", title="Old"),
        obj({"a": {"type": "string", "description": "new", "examples": ["y"]}}, "a", title="New"),
        {},
        forward={"a": "x"},
        backward={"a": "x"},
    ),
    Case(
        "ref-refactor",
        obj({"code": {"type": "string", "maxLength": 5}, "money": {"$ref": "#/Money"}}, "code", "money"),
        obj({"code": {"$ref": "#/Code"}, "money": {"$ref": "#/Amount"}}, "code", "money"),
        {},
        forward={"code": "abc", "money": {"amount": "1.00"}},
        backward={"code": "abc", "money": {"amount": "1.00"}},
        old_defs={"Money": obj({"amount": {"type": "string", "format": "decimal"}}, "amount")},
        new_defs={
            "Code": {"type": "string", "maxLength": 5},
            "Amount": obj({"amount": {"type": "string", "format": "decimal"}}, "amount"),
        },
    ),
    Case(
        "all-of-refactor",
        obj({"a": STRING, "b": INTEGER}, "a", "b"),
        {"allOf": [{"$ref": "#/Base"}, obj({"b": INTEGER}, "b")]},
        {},
        forward={"a": "x", "b": 1},
        backward={"a": "x", "b": 1},
        new_defs={"Base": obj({"a": STRING}, "a")},
    ),
    Case(
        "null-written-as-union",
        value({"type": ["string", "null"]}),
        value({"anyOf": [STRING, {"type": "null"}]}),
        {},
        forward=v(None),
        backward=v(None),
    ),
    Case(
        "integer-bound-written-exclusively",
        value({"type": "integer", "minimum": 1}),
        value({"type": "integer", "exclusiveMinimum": 0}),
        {},
        forward=v(1),
        backward=v(1),
    ),
    # -- headers are compared like payloads ----------------------------------------------------
    Case(
        "header-required-added",
        obj({"x-a": STRING}, "x-a"),
        obj({"x-a": STRING, "x-b": STRING}, "x-a", "x-b"),
        {"property-added-required": B},
        forward={"x-a": "1", "x-b": "2"},
        backward={"x-a": "1"},
        part=HEADERS,
    ),
    Case(
        "header-enum-value-added",
        obj({"x-a": {"type": "string", "enum": ["a"]}}, "x-a"),
        obj({"x-a": {"type": "string", "enum": ["a", "b"]}}, "x-a"),
        {"enum-value-added": B},
        forward={"x-a": "b"},
        backward={"x-a": "a"},
        part=HEADERS,
    ),
]


def breaks(case: Case) -> tuple[bool, bool]:
    """(forward, backward): whether the case's expected rules break each direction."""
    directions = {d for rule in case.expect for d in RULES[rule].breaks}
    return Direction.FORWARD in directions, Direction.BACKWARD in directions
