"""Value keywords of one schema compared: format, enum, const, pattern, bounds, defaults.

Each difference is rated by what the generated model does with the keyword: a format becomes a
validating type only for the formats in `VALIDATED_FORMATS` (others stay `str`, so changing them
is only worth a warning); enums are closed; bounds and patterns become pydantic constraints.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal

from codegen.diff import rules

if TYPE_CHECKING:
    from codegen.diff.change import Rule
    from codegen.diff.schema_view import View
    from codegen.loader.location import Location

__all__ = ["VALIDATED_FORMATS", "KeywordChange", "compare_keywords"]

#: Formats datamodel-code-generator turns into a type that rejects other strings (checked by
#: tests/codegen/diff/test_proof.py); `decimal` and `uri` get the SDK's own scalar types.
VALIDATED_FORMATS = frozenset(
    {
        "uuid",
        "uuid1",
        "uuid3",
        "uuid4",
        "uuid5",
        "date-time",
        "date",
        "time",
        "duration",
        "email",
        "idn-email",
        "hostname",
        "ipv4",
        "ipv6",
        "ipv4-network",
        "ipv6-network",
        "uri",
        "decimal",
    }
)

#: (lower keyword, exclusive lower keyword, upper keyword, exclusive upper keyword, what they bound)
_BOUNDS = (
    ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum", "value"),
    ("minLength", None, "maxLength", None, "length"),
    ("minItems", None, "maxItems", None, "number of items"),
    ("minProperties", None, "maxProperties", None, "number of entries"),
)


@dataclass(frozen=True, slots=True)
class KeywordChange:
    """One keyword difference, where it shows, and what it is."""

    rule: Rule
    side: Literal["old", "new"]
    location: Location
    detail: str


def compare_keywords(old: View, new: View) -> Iterator[KeywordChange]:
    """Every difference between the value keywords of `old` and `new`."""
    yield from _format(old, new)
    yield from _enum(old, new)
    yield from _const(old, new)
    yield from _pattern(old, new)
    yield from _bounds(old, new)
    yield from _multiple_of(old, new)
    yield from _sensitive(old, new)
    if bool(old.schema.get("uniqueItems")) != bool(new.schema.get("uniqueItems")):
        yield _at_new(rules.UNIQUE_ITEMS_CHANGED, old, new, "uniqueItems", "uniqueItems changed")
    if _key(old.schema.get("default", _ABSENT)) != _key(new.schema.get("default", _ABSENT)):
        detail = f"default {_show(old.schema, 'default')} -> {_show(new.schema, 'default')}"
        yield _at_new(rules.DEFAULT_CHANGED, old, new, "default", detail)


# -- helpers -------------------------------------------------------------------------------------

_ABSENT = object()


def _key(value: Any) -> str:
    """A comparable form of a JSON value: `1`, `1.0` and `true` stay distinct."""
    if value is _ABSENT:
        return "<absent>"
    return json.dumps([type(value).__name__, value], sort_keys=True, default=str)


def _show(schema: dict[str, Any], keyword: str) -> str:
    return json.dumps(schema[keyword], ensure_ascii=False) if keyword in schema else "(none)"


def _at_new(rule: Rule, old: View, new: View, keyword: str, detail: str) -> KeywordChange:
    """A change of `keyword`, shown in the new schema unless only the old one has it."""
    if keyword in new.schema or keyword not in old.schema:
        return KeywordChange(rule, "new", new.keyword_at(keyword), detail)
    return KeywordChange(rule, "old", old.keyword_at(keyword), detail)


# -- format, enum, const, pattern ----------------------------------------------------------------


def _format(old: View, new: View) -> Iterator[KeywordChange]:
    before, after = old.schema.get("format"), new.schema.get("format")
    if before == after:
        return
    detail = f"format {before or '(none)'} -> {after or '(none)'}"
    checked_before, checked_after = before in VALIDATED_FORMATS, after in VALIDATED_FORMATS
    if checked_before and checked_after:
        rule = rules.FORMAT_CHANGED
    elif checked_after:
        rule = rules.FORMAT_ADDED
    elif checked_before:
        rule = rules.FORMAT_REMOVED
    else:
        rule = rules.FORMAT_ANNOTATION_CHANGED
        detail += " (the SDK does not validate it; other readers may)"
    yield _at_new(rule, old, new, "format", detail)


def _values(schema: dict[str, Any]) -> dict[str, Any] | None:
    enum = schema.get("enum")
    if not isinstance(enum, list):
        return None
    return {_key(value): value for value in enum if value is not None}


def _enum(old: View, new: View) -> Iterator[KeywordChange]:
    before, after = _values(old.schema), _values(new.schema)
    if before is None and after is None:
        return
    if before is None:
        yield _at_new(rules.ENUM_ADDED, old, new, "enum", f"restricted to {_list(after)}")
        return
    if after is None:
        yield _at_new(rules.ENUM_REMOVED, old, new, "enum", f"no longer restricted to {_list(before)}")
        return
    added = {k: v for k, v in after.items() if k not in before}
    removed = {k: v for k, v in before.items() if k not in after}
    if added:
        yield _at_new(rules.ENUM_VALUE_ADDED, old, new, "enum", f"enum value {_list(added)} added")
    if removed:
        yield _at_new(rules.ENUM_VALUE_REMOVED, old, new, "enum", f"enum value {_list(removed)} removed")


def _list(values: dict[str, Any] | None) -> str:
    return ", ".join(json.dumps(v, ensure_ascii=False) for v in (values or {}).values())


def _const(old: View, new: View) -> Iterator[KeywordChange]:
    if _key(old.schema.get("const", _ABSENT)) == _key(new.schema.get("const", _ABSENT)):
        return
    detail = f"const {_show(old.schema, 'const')} -> {_show(new.schema, 'const')}"
    if "const" not in old.schema:
        rule = rules.CONST_ADDED
    elif "const" not in new.schema:
        rule = rules.CONST_REMOVED
    else:
        rule = rules.CONST_CHANGED
    yield _at_new(rule, old, new, "const", detail)


def _pattern(old: View, new: View) -> Iterator[KeywordChange]:
    before, after = old.schema.get("pattern"), new.schema.get("pattern")
    if before == after:
        return
    detail = f"pattern {_show(old.schema, 'pattern')} -> {_show(new.schema, 'pattern')}"
    if before is None:
        rule = rules.PATTERN_ADDED
    elif after is None:
        rule = rules.PATTERN_REMOVED
    else:
        rule = rules.PATTERN_CHANGED
    yield _at_new(rule, old, new, "pattern", detail)


def _sensitive(old: View, new: View) -> Iterator[KeywordChange]:
    """Marked fields travel as encrypted tokens (docs/decisions/005-sensitive-fields.md): a reader
    that disagrees with the writer about the marking reads a token as plaintext or fails to
    decrypt plaintext, though the JSON shape is the same."""
    keyword = "x-a4co-sensitive"
    before, after = old.schema.get(keyword), new.schema.get(keyword)
    if before != after:
        detail = f"{keyword} {before or '(none)'} -> {after or '(none)'}: the value's wire encoding changes"
        yield _at_new(rules.SENSITIVE_MARKING_CHANGED, old, new, keyword, detail)


# -- bounds --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Bound:
    value: Decimal
    exclusive: bool


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:  # pragma: no cover - str() of a finite int or float always parses
        return None


def _bound(view: View, inclusive: str, exclusive: str | None, *, lower: bool) -> _Bound | None:
    """The tighter of the inclusive and exclusive bound; for integers, written inclusively."""
    candidates: list[_Bound] = []
    if (value := _number(view.schema.get(inclusive))) is not None:
        candidates.append(_Bound(value, exclusive=False))
    written = view.schema.get(exclusive) if exclusive else None
    if written is True and candidates:  # draft-04 style: a flag on the inclusive bound
        candidates = [_Bound(candidates[0].value, exclusive=True)]
    elif (value := _number(written)) is not None:
        candidates.append(_Bound(value, exclusive=True))
    if not candidates:
        return None
    if view.types == frozenset({"integer"}):
        candidates = [_integral(b, lower=lower) for b in candidates]
    return max(candidates, key=lambda b: _tightness(b, lower=lower))


def _integral(bound: _Bound, *, lower: bool) -> _Bound:
    """`exclusiveMinimum: 0` on an integer is `minimum: 1`."""
    value = bound.value
    if lower:
        whole = value.to_integral_value(rounding="ROUND_CEILING")
        return _Bound(whole + 1 if bound.exclusive and whole == value else whole, exclusive=False)
    whole = value.to_integral_value(rounding="ROUND_FLOOR")
    return _Bound(whole - 1 if bound.exclusive and whole == value else whole, exclusive=False)


def _tightness(bound: _Bound, *, lower: bool) -> tuple[Decimal, bool]:
    """Orders bounds from loosest to tightest."""
    return (bound.value if lower else -bound.value, bound.exclusive)


def _bounds(old: View, new: View) -> Iterator[KeywordChange]:
    for low, low_exclusive, high, high_exclusive, what in _BOUNDS:
        if what == "number of entries" and (old.properties or new.properties):
            continue  # min/maxProperties of a model class are not checked; only of a map
        for inclusive, exclusive, lower in ((low, low_exclusive, True), (high, high_exclusive, False)):
            before = _bound(old, inclusive, exclusive, lower=lower)
            after = _bound(new, inclusive, exclusive, lower=lower)
            if before == after:
                continue
            keywords = [k for k in (inclusive, exclusive) if k]
            detail = f"{'lower' if lower else 'upper'} bound of the {what}: {_show_bound(old, keywords)}"
            detail += f" -> {_show_bound(new, keywords)}"
            tighter = after is not None and (
                before is None or _tightness(after, lower=lower) > _tightness(before, lower=lower)
            )
            rule = rules.BOUND_TIGHTENED if tighter else rules.BOUND_RELAXED
            keyword = next((k for k in keywords if k in new.schema), keywords[0])
            if after is None:
                keyword = next((k for k in keywords if k in old.schema), keywords[0])
            yield _at_new(rule, old, new, keyword, detail)


def _show_bound(view: View, keywords: list[str]) -> str:
    shown = [f"{k} {json.dumps(view.schema[k])}" for k in keywords if k in view.schema]
    return ", ".join(shown) or "(none)"


def _multiple_of(old: View, new: View) -> Iterator[KeywordChange]:
    before, after = _number(old.schema.get("multipleOf")), _number(new.schema.get("multipleOf"))
    if before == after:
        return
    detail = f"multipleOf {_show(old.schema, 'multipleOf')} -> {_show(new.schema, 'multipleOf')}"
    if after is None:
        rule = rules.BOUND_RELAXED
    elif before is None or after % before == 0:
        rule = rules.BOUND_TIGHTENED
    elif before % after == 0:
        rule = rules.BOUND_RELAXED
    else:
        rule = rules.MULTIPLE_OF_CHANGED
    yield _at_new(rule, old, new, "multipleOf", detail)
