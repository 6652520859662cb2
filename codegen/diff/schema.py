"""Two versions of a schema compared structurally, each side read through its own resolver.

The walk goes down both schemas together: properties by name, array items, map values, union
branches matched by discriminator value, `$ref` name or type. It yields direction-neutral
`Finding`s (a rule and where it shows); the caller grades them by the mode of the channel or the
HTTP direction. Whether a property is optional matters beyond `required`: the SDK models every
optional property as `X | None = None`, so allowing `null` there changes nothing a reader accepts.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from codegen.diff import rules
from codegen.diff.keywords import compare_keywords
from codegen.diff.schema_view import Slot, View, view

if TYPE_CHECKING:
    from codegen.diff.change import Rule
    from codegen.loader.location import Location
    from codegen.loader.resolver import Resolver

__all__ = ["Finding", "SchemaComparison", "grouped"]


@dataclass(frozen=True, slots=True)
class Finding:
    """A difference inside a schema: the rule, where it shows, and the path to it."""

    rule: Rule
    location: Location
    side: Literal["old", "new"]
    #: `items[].quantity`, `paidWith<card>`, `headers{}`; "" for the schema itself
    path: str
    detail: str


@dataclass(frozen=True, slots=True)
class _Context:
    path: str = ""
    #: whether the property holding the schema is optional on each side (null is then accepted)
    old_optional: bool = False
    new_optional: bool = False
    #: null is compared by the union that holds a branch, not by the branch
    compare_null: bool = True
    #: the pairs of locations being compared further up, to stop on recursive schemas
    stack: frozenset[tuple[Location, Location]] = frozenset()

    def child(self, step: str, *, old_optional: bool = False, new_optional: bool = False) -> _Context:
        joined = step if not self.path else self.path + step if step[0] in "[{<" else f"{self.path}.{step}"
        return replace(
            self,
            path=joined,
            old_optional=old_optional,
            new_optional=new_optional,
            compare_null=True,
        )


class SchemaComparison:
    """Compares schemas of the old contracts (`old`) with those of the new ones (`new`)."""

    def __init__(self, old: Resolver, new: Resolver) -> None:
        self.old = old
        self.new = new

    def compare(self, old: Slot, new: Slot) -> list[Finding]:
        """Every difference between the schema at `old` and the schema at `new`."""
        return list(self._compare(view(self.old, old), view(self.new, new), _Context()))

    def _compare(self, old: View, new: View, ctx: _Context) -> Iterator[Finding]:
        if (old.at, new.at) in ctx.stack:
            return
        ctx = replace(ctx, stack=ctx.stack | {(old.at, new.at)})
        if old.unresolved or new.unresolved:
            if old.unresolved != new.unresolved or old.unresolved is None:
                ref = new.unresolved or old.unresolved
                yield Finding(
                    rules.SCHEMA_UNRESOLVED, new.at, "new", ctx.path, f"$ref {ref!r} does not resolve"
                )
            return
        if ctx.compare_null:
            yield from self._nullability(old, new, ctx)
        if old.branches or new.branches:
            yield from self._unions(old, new, ctx)
            return
        if not (yield from self._types(old, new, ctx)):
            return
        for change in compare_keywords(old, new):
            yield Finding(change.rule, change.location, change.side, ctx.path, change.detail)
        yield from self._properties(old, new, ctx)
        yield from self._additional(old, new, ctx)
        yield from self._items(old, new, ctx)

    # -- null and types ------------------------------------------------------------------------

    def _nullability(self, old: View, new: View, ctx: _Context) -> Iterator[Finding]:
        if old.nullable == new.nullable:
            return
        if new.nullable:
            detail = "null is now allowed"
            breaks_reader = not ctx.old_optional
            rule = rules.NULLABLE_ADDED if breaks_reader else rules.NULLABLE_CHANGED_OPTIONAL
        else:
            detail = "null is no longer allowed"
            breaks_reader = not ctx.new_optional
            rule = rules.NULLABLE_REMOVED if breaks_reader else rules.NULLABLE_CHANGED_OPTIONAL
        yield Finding(rule, new.keyword_at("type"), "new", ctx.path, detail)

    def _types(self, old: View, new: View, ctx: _Context) -> Generator[Finding, None, bool]:
        """Report a type change; returns False when the types share nothing left to compare."""
        before, after = _accepted(old.types), _accepted(new.types)
        if before == after:
            return True
        detail = f"type {_show_types(old.types)} -> {_show_types(new.types)}"
        at = new.keyword_at("type")
        if before is None or (after is not None and after < before):
            yield Finding(rules.TYPE_NARROWED, at, "new", ctx.path, detail)
            return True
        if after is None or after > before:
            yield Finding(rules.TYPE_WIDENED, at, "new", ctx.path, detail)
            return True
        yield Finding(rules.TYPE_CHANGED, at, "new", ctx.path, detail)
        return bool(before & after)

    # -- objects, arrays, maps -----------------------------------------------------------------

    def _properties(self, old: View, new: View, ctx: _Context) -> Iterator[Finding]:
        for name in [*old.properties, *(n for n in new.properties if n not in old.properties)]:
            before, after = old.properties.get(name), new.properties.get(name)
            was_required, is_required = name in old.required, name in new.required
            path = ctx.child(name).path
            if before is None and after is not None:
                rule = rules.PROPERTY_ADDED_REQUIRED if is_required else rules.PROPERTY_ADDED_OPTIONAL
                kind = "required" if is_required else "optional"
                yield Finding(rule, after.at, "new", path, f"{kind} property `{name}` added")
            elif after is None and before is not None:
                if was_required:
                    detail = f"required property `{name}` removed"
                    yield Finding(rules.PROPERTY_REMOVED_REQUIRED, before.at, "old", path, detail)
                else:
                    detail = (
                        f"optional property `{name}` removed: never add `{name}` back with another "
                        "type or meaning (stored events still carry the old one); keep it listed "
                        "as deprecated or leave the name unused, like a reserved protobuf field"
                    )
                    yield Finding(rules.PROPERTY_REMOVED_OPTIONAL, before.at, "old", path, detail)
            elif before is not None and after is not None:
                if is_required and not was_required:
                    detail = f"property `{name}` became required"
                    yield Finding(rules.PROPERTY_BECAME_REQUIRED, after.at, "new", path, detail)
                elif was_required and not is_required:
                    detail = f"property `{name}` became optional"
                    yield Finding(rules.PROPERTY_BECAME_OPTIONAL, after.at, "new", path, detail)
                child = ctx.child(name, old_optional=not was_required, new_optional=not is_required)
                yield from self._compare(view(self.old, before), view(self.new, after), child)

    def _additional(self, old: View, new: View, ctx: _Context) -> Iterator[Finding]:
        before = old.schema.get("additionalProperties", True)
        after = new.schema.get("additionalProperties", True)
        if old.properties or new.properties:
            # A model class: readers ignore unknown fields whatever additionalProperties says.
            if after is False and before is not False:
                detail = "additionalProperties: false added (SDK readers ignore unknown fields anyway)"
                at = new.keyword_at("additionalProperties")
                yield Finding(rules.ADDITIONAL_PROPERTIES_NARROWED, at, "new", ctx.path, detail)
            return
        if before is False or after is False:
            if after is False and before is not False:
                detail = "the map no longer accepts entries"
                at = new.keyword_at("additionalProperties")
                yield Finding(rules.ADDITIONAL_PROPERTIES_NARROWED, at, "new", ctx.path, detail)
            return
        yield from self._compare(
            self._sub(self.old, old, "additionalProperties", before),
            self._sub(self.new, new, "additionalProperties", after),
            ctx.child("{}"),
        )

    def _items(self, old: View, new: View, ctx: _Context) -> Iterator[Finding]:
        before, after = old.schema.get("items"), new.schema.get("items")
        if not isinstance(before, dict) and not isinstance(after, dict):
            return
        yield from self._compare(
            self._sub(self.old, old, "items", before),
            self._sub(self.new, new, "items", after),
            ctx.child("[]"),
        )

    @staticmethod
    def _sub(resolver: Resolver, parent: View, keyword: str, node: Any) -> View:
        """The subschema under `keyword`; `true` or absent is the schema accepting anything."""
        return view(resolver, Slot(node if isinstance(node, dict) else {}, parent.keyword_at(keyword)))

    # -- unions --------------------------------------------------------------------------------

    def _unions(self, old: View, new: View, ctx: _Context) -> Iterator[Finding]:
        yield from _discriminator(old, new, ctx)
        before = self._branches(self.old, old)
        after = self._branches(self.new, new)
        pairs, removed, added = _match(before, after)
        for (label, old_branch), (_, new_branch) in pairs:
            child = replace(ctx.child(f"<{label}>"), compare_null=False)
            yield from self._compare(old_branch, new_branch, child)
        for label, branch in removed:
            detail = f"union branch {label} removed"
            yield Finding(rules.UNION_BRANCH_REMOVED, branch.at, "old", ctx.path, detail)
        for label, branch in added:
            detail = f"union branch {label} added"
            yield Finding(rules.UNION_BRANCH_ADDED, branch.at, "new", ctx.path, detail)

    @staticmethod
    def _branches(resolver: Resolver, union: View) -> list[tuple[dict[str, str], View]]:
        """Each branch (the schema itself when it is no union) with the keys that identify it."""
        if not union.branches:
            return [(_keys(union, None, 0), union)]
        discriminator = _discriminator_property(union)
        branches = [view(resolver, slot) for slot in union.branches]
        return [(_keys(branch, discriminator, i), branch) for i, branch in enumerate(branches)]


def _accepted(types: frozenset[str] | None) -> frozenset[str] | None:
    """What the types accept, a number accepting integers too (strict JSON reads 3 as a float)."""
    if types is None:
        return None
    return types | {"integer"} if "number" in types else types


def _show_types(types: frozenset[str] | None) -> str:
    if types is None:
        return "(any)"
    return "|".join(sorted(types)) if types else "null"


def _discriminator_property(union: View) -> str | None:
    found = union.schema.get("discriminator")
    if isinstance(found, dict):
        found = found.get("propertyName")
    return found if isinstance(found, str) else None


def _discriminator(old: View, new: View, ctx: _Context) -> Iterator[Finding]:
    before, after = old.schema.get("discriminator"), new.schema.get("discriminator")
    if isinstance(before, str):
        before = {"propertyName": before}
    if isinstance(after, str):
        after = {"propertyName": after}
    if before == after:
        return
    at = new.keyword_at("discriminator")
    if before is None:
        yield Finding(rules.DISCRIMINATOR_ADDED, at, "new", ctx.path, f"discriminator {after} added")
    elif after is None:
        at = old.keyword_at("discriminator")
        yield Finding(rules.DISCRIMINATOR_REMOVED, at, "old", ctx.path, f"discriminator {before} removed")
    else:
        yield Finding(rules.DISCRIMINATOR_CHANGED, at, "new", ctx.path, f"discriminator {before} -> {after}")


def _keys(branch: View, discriminator: str | None, index: int) -> dict[str, str]:
    """How a branch may be recognised in the other version, most telling first."""
    keys: dict[str, str] = {}
    if discriminator is not None:
        tag = branch.properties.get(discriminator)
        node = tag.node if tag is not None else None
        if isinstance(node, dict):
            value = node.get("const", (node.get("enum") or [None])[0])
            if isinstance(value, str):
                keys["tag"] = value
    if branch.name:
        keys["name"] = branch.name
    if branch.types is not None:
        keys["type"] = "|".join(sorted(branch.types))
    keys["index"] = f"#{index}"
    return keys


_Branch = tuple[str, View]


def _match(
    before: list[tuple[dict[str, str], View]], after: list[tuple[dict[str, str], View]]
) -> tuple[list[tuple[_Branch, _Branch]], list[_Branch], list[_Branch]]:
    """Pair branches by tag, then name, then type; what is left was removed or added."""
    left = dict(enumerate(before))
    right = dict(enumerate(after))
    pairs: list[tuple[_Branch, _Branch]] = []
    for kind in ("tag", "name", "type"):
        old_keys = _unique(left, kind)
        new_keys = _unique(right, kind)
        for key in [k for k in old_keys if k in new_keys]:
            i, j = old_keys[key], new_keys[key]
            pairs.append(((key, left.pop(i)[1]), (key, right.pop(j)[1])))
    return pairs, [_label(k, v) for k, v in left.values()], [_label(k, v) for k, v in right.values()]


def _unique(branches: dict[int, tuple[dict[str, str], View]], kind: str) -> dict[str, int]:
    seen: dict[str, list[int]] = {}
    for i, (keys, _) in branches.items():
        if kind in keys:
            seen.setdefault(keys[kind], []).append(i)
    return {key: found[0] for key, found in seen.items() if len(found) == 1}


def _label(keys: dict[str, str], branch: View) -> _Branch:
    return keys.get("tag") or keys.get("name") or keys.get("type") or keys["index"], branch


def grouped(findings: list[Finding]) -> Iterator[tuple[Finding, str]]:
    """One finding per place in the contracts, with every path that reaches it joined: a shared
    `Money` changed once shows once per message or body, not once per amount in it."""
    paths: dict[tuple[str, Location, str, str], list[str]] = {}
    first: dict[tuple[str, Location, str, str], Finding] = {}
    key: tuple[str, Location, str, str]
    for finding in findings:
        key = (finding.rule.id, finding.location, finding.side, finding.detail)
        first.setdefault(key, finding)
        paths.setdefault(key, []).append(finding.path)
    for key, finding in first.items():
        found = [p for p in dict.fromkeys(paths[key]) if p]
        shown = ", ".join(found[:3]) + (f" (+{len(found) - 3} more)" if len(found) > 3 else "")
        yield finding, shown
