"""Where an OpenAPI document writes schemas and examples.

Schemas sit in parameters, headers and media types (of request bodies and responses), and in
`components.schemas`; examples sit beside them, as one `example` or as a map of Example objects
whose `value` is the example. Parameters, responses, request bodies, headers, path items and
examples may be `$ref`s, often into `openapi/components.yaml`; they are followed, and each
object is visited once however many operations share it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from codegen.errors import ContractError
from codegen.model.openapi import HTTP_METHODS

if TYPE_CHECKING:
    from collections.abc import Callable

    from codegen.loader import Document, Location, Resolver

__all__ = ["ExampleSite", "OpenAPISites", "openapi_sites"]


@dataclass(frozen=True)
class ExampleSite:
    """An example value, and the schema it must satisfy."""

    schema: Location
    value: Location


@dataclass
class OpenAPISites:
    """The schemas and examples of one or more OpenAPI documents."""

    #: `components.schemas` entries: named schemas
    named_schemas: list[Location] = field(default_factory=list)
    #: `schema` members of parameters, headers and media types, as written (maybe a `$ref`)
    inline_schemas: list[Location] = field(default_factory=list)
    examples: list[ExampleSite] = field(default_factory=list)


def openapi_sites(resolver: Resolver, documents: list[Document]) -> OpenAPISites:
    """The schemas and examples of `documents`, each listed once."""
    walker = _Walker(resolver)
    for document in documents:
        walker.document(document)
    return walker.sites


class _Walker:
    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.sites = OpenAPISites()
        self.visited: set[Location] = set()

    def deref(self, location: Location, *, once: bool = True) -> tuple[dict[str, Any], Location] | None:
        """The object at `location` after `$ref`s; `None` if not an object, or if `once` and seen."""
        try:
            node, at = self.resolver.deref_location(location)
        except ContractError:
            return None
        if not isinstance(node, dict) or (once and at in self.visited):
            return None
        self.visited.add(at)
        return node, at

    def document(self, document: Document) -> None:
        content = document.content if isinstance(document.content, dict) else {}
        root = document.location
        for key in ("paths", "webhooks"):
            for name in _keys(content.get(key)):
                self.path_item(root.child(key, name))
        components = content.get("components")
        components = components if isinstance(components, dict) else {}
        visitors: dict[str, Callable[[Location], None]] = {
            "parameters": self.parameter,
            "headers": self.parameter,
            "responses": self.response,
            "requestBodies": self.request_body,
            "pathItems": self.path_item,
        }
        for kind, visit in visitors.items():
            for name in _keys(components.get(kind)):
                visit(root.child("components", kind, name))
        for name in _keys(components.get("schemas")):
            self.sites.named_schemas.append(root.child("components", "schemas", name))

    def path_item(self, location: Location) -> None:
        found = self.deref(location)
        if found is None:
            return
        node, at = found
        self.parameters(node, at)
        for method in HTTP_METHODS:
            if isinstance(node.get(method), dict):
                self.operation(node[method], at.child(method))

    def operation(self, node: dict[str, Any], at: Location) -> None:
        self.parameters(node, at)
        if "requestBody" in node:
            self.request_body(at.child("requestBody"))
        for code in _keys(node.get("responses")):
            self.response(at.child("responses", code))

    def parameters(self, node: dict[str, Any], at: Location) -> None:
        parameters = node.get("parameters")
        if isinstance(parameters, list):
            for index in range(len(parameters)):
                self.parameter(at.child("parameters", index))

    def parameter(self, location: Location) -> None:
        """A Parameter or Header object: a schema (or content) and its examples."""
        found = self.deref(location)
        if found is None:
            return
        node, at = found
        if "schema" in node:
            self.schema_with_examples(node, at)
        self.content(node, at)

    def request_body(self, location: Location) -> None:
        found = self.deref(location)
        if found is not None:
            self.content(*found)

    def response(self, location: Location) -> None:
        found = self.deref(location)
        if found is None:
            return
        node, at = found
        for name in _keys(node.get("headers")):
            self.parameter(at.child("headers", name))
        self.content(node, at)

    def content(self, node: dict[str, Any], at: Location) -> None:
        content = node.get("content")
        if not isinstance(content, dict):
            return
        for media_type, media in content.items():
            if isinstance(media, dict) and "schema" in media:
                self.schema_with_examples(media, at.child("content", media_type))

    def schema_with_examples(self, node: dict[str, Any], at: Location) -> None:
        schema = at.child("schema")
        self.sites.inline_schemas.append(schema)
        if "example" in node:
            self.sites.examples.append(ExampleSite(schema, at.child("example")))
        for name in _keys(node.get("examples")):
            found = self.deref(at.child("examples", name), once=False)
            if found is not None and "value" in found[0]:
                self.sites.examples.append(ExampleSite(schema, found[1].child("value")))


def _keys(node: Any) -> list[str]:
    return list(node) if isinstance(node, dict) else []
