"""Bundling a multi-file document into one, for tools that only see one document.

The official AsyncAPI JSON Schema validates a whole document, but a `$ref` to another file is,
to a JSON Schema validator, just a string: what it points to would go unchecked. Bundling
inlines every external target where it is first referenced (so it is validated in that
place, as a payload, a message, ...) and turns every later reference to it into a local one,
as json-schema-ref-parser's `bundle` does. Recursive schemas stay finite: a reference to a
target already inlined becomes a local reference to it.

`Bundle.origin` maps a pointer of the bundled document back to the file and pointer it came
from, so errors found in the bundle name the file a person has to edit.

Siblings of an inlined `$ref` are dropped (AsyncAPI's draft-07 schemas ignore them); a `$ref`
that does not resolve is left as it is (the `unresolved-ref` lint reports it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from codegen.errors import RefError
from codegen.loader import pointer as jp
from codegen.loader.location import Location
from codegen.loader.walk import is_data

if TYPE_CHECKING:
    from codegen.loader.resolver import Resolver

__all__ = ["Bundle", "bundle"]


@dataclass(frozen=True)
class Bundle:
    """A document with its external references inlined, and where each part came from."""

    file: str
    document: Any
    #: bundle pointer of each inlined subtree -> the location it was copied from
    origins: dict[str, Location] = field(default_factory=dict)

    def origin(self, pointer: str) -> Location:
        """The file and pointer the node at `pointer` of the bundle was copied from."""
        best: str | None = None
        for prefix in self.origins:
            inside = pointer == prefix or pointer.startswith(prefix + "/")
            if inside and (best is None or len(prefix) > len(best)):
                best = prefix
        if best is None:
            return Location(self.file, pointer)
        source = self.origins[best]
        return Location(source.file, source.pointer + pointer[len(best) :])


def bundle(resolver: Resolver, file: str) -> Bundle:
    """Bundle the document `file` (read through `resolver`) into one self-contained document."""
    return _Bundler(resolver, file).run()


class _Bundler:
    def __init__(self, resolver: Resolver, file: str) -> None:
        self.resolver = resolver
        self.file = file
        self.placed: dict[Location, str] = {}
        self.origins: dict[str, Location] = {}

    def run(self) -> Bundle:
        root = Location(self.file)
        document = self.visit(self.resolver.document(self.file), "", root, None)
        return Bundle(self.file, document, dict(self.origins))

    def visit(self, node: Any, pointer: str, at: Location, parent_key: str | None) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                return self.reference(node, ref, pointer, at, parent_key)
            return {
                key: value
                if is_data(key, value, parent_key)
                else self.visit(value, jp.join(pointer, key), at.child(key), key)
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [
                self.visit(value, jp.join(pointer, index), at.child(index), None)
                for index, value in enumerate(node)
            ]
        return node

    def reference(
        self, node: dict[str, Any], ref: str, pointer: str, at: Location, parent_key: str | None
    ) -> Any:
        try:
            target = self.resolver.target(ref, at)
        except RefError:
            return node
        if target.file == self.file:
            local = "#" + jp.to_fragment(target.pointer)
            return node if at.file == self.file else {**node, "$ref": local}
        placed = self.placed_at(target)
        if placed is not None:
            return {**node, "$ref": "#" + jp.to_fragment(placed)}
        self.placed[target] = pointer
        self.origins[pointer] = target
        return self.visit(self.resolver.node(target), pointer, target, parent_key)

    def placed_at(self, target: Location) -> str | None:
        """Where `target`, or the inlined subtree that contains it, sits in the bundle."""
        for source, pointer in self.placed.items():
            if source.file != target.file:
                continue
            if target.pointer == source.pointer:
                return pointer
            if target.pointer.startswith(source.pointer + "/"):
                return pointer + target.pointer[len(source.pointer) :]
        return None
