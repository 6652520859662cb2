"""Naming the schemas that become model classes, and preparing them for datamodel-code-generator.

A schema is *named* when it is an entry of a schema map: a top-level key of a schema file
(`schemas/order.yaml#/OrderCreated`) or an entry of `components.schemas` of a document. Its model lives
in the module of its bounded context: the schema file's stem, the OpenAPI document's service, or (for an
AsyncAPI document's own components) `x-a4co-module`, defaulting to `messages`. An anonymous schema that
must be a class (an inline message payload) is named after what holds it (`<Message>Payload`).

Every `$ref` is rewritten to `#/$defs/<module>.<Name>`, the form datamodel-code-generator turns into one
module per context with imports between them. Extensions (`x-*`) are dropped, AsyncAPI's string
`discriminator` becomes JSON Schema's object form, and fields whose format pydantic does not model as the
contract means (decimal strings, URIs) are recorded for type overrides.
"""

from __future__ import annotations

import keyword
import re
from typing import Any

from codegen.errors import ContractError
from codegen.ir import ModelRef, NamedSchema
from codegen.loader.location import Location
from codegen.loader.resolver import Resolver

__all__ = ["SchemaRegistry", "UnsupportedConstructError", "python_identifier", "snake_case"]

_SCHEMA_MAP = re.compile(r"^/components/schemas/([^/]+)$")
_TOP_LEVEL = re.compile(r"^/([^/]+)$")


class UnsupportedConstructError(ContractError):
    """The contract uses something the generator cannot turn into code."""

    def __init__(self, message: str, *, file: str, pointer: str) -> None:
        super().__init__(f"{file}#{pointer}: {message}")
        self.file = file
        self.pointer = pointer


def snake_case(name: str) -> str:
    """`deliveryAddress` -> `delivery_address`, `event-id` -> `event_id`, `HTTPCode` -> `http_code`."""
    s = re.sub(r"[^0-9A-Za-z]+", "_", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    return s.strip("_").lower()


def python_identifier(name: str) -> str:
    ident = snake_case(name) or "field"
    if ident[0].isdigit():
        ident = "_" + ident
    return ident + "_" if keyword.iskeyword(ident) else ident


def _module_name(text: str) -> str:
    return python_identifier(text).replace("__", "_")


class SchemaRegistry:
    """Every named schema reached from the contracts, converted once."""

    def __init__(self, resolver: Resolver, *, documents: dict[str, str]) -> None:
        """`documents`: the module of each AsyncAPI/OpenAPI document's `components.schemas`.

        Any other file a `$ref` reaches is a schema file: its top-level keys are schemas and its stem
        is their module.
        """
        self._resolver = resolver
        self._documents = documents
        self._refs: dict[Location, ModelRef] = {}
        self._schemas: dict[ModelRef, NamedSchema] = {}
        self._origins: dict[ModelRef, str] = {}
        self.decimal_fields: dict[str, str] = {}
        self.uri_fields: set[str] = set()

    @property
    def schemas(self) -> tuple[NamedSchema, ...]:
        return tuple(self._schemas[ref] for ref in sorted(self._schemas))

    def ref_at(self, at: Location) -> ModelRef | None:
        """The model of the named schema at `at`, registering it on first use; None if `at` is not named."""
        if at in self._refs:
            return self._refs[at]
        name = self._name_at(at)
        if name is None:
            return None
        ref = ModelRef(self._module_at(at), name)
        self._claim(ref, at)
        self._refs[at] = ref
        node = self._resolver.node(at)
        self._store(ref, node, at)
        return ref

    def model_for(self, node: Any, at: Location, *, name_hint: str, module: str) -> ModelRef:
        """The model of a schema that must be a class: its named target, or a new class named `name_hint`."""
        target, target_at = self._resolver.deref(node, at)
        named = self.ref_at(target_at)
        if named is not None:
            return named
        if at in self._refs:
            return self._refs[at]
        ref = ModelRef(module, name_hint)
        self._claim(ref, target_at)
        self._refs[at] = ref
        self._store(ref, target, target_at)
        return ref

    def _is_document(self, file: str) -> bool:
        if file in self._documents:
            return True
        document = self._resolver.document(file)
        return isinstance(document, dict) and ("asyncapi" in document or "openapi" in document)

    def _claim(self, ref: ModelRef, at: Location) -> None:
        if ref in self._origins and self._origins[ref] != str(at):
            raise UnsupportedConstructError(
                f"two schemas would both be the model {ref.qualified}: this one and {self._origins[ref]}; "
                "rename one of them",
                file=at.file,
                pointer=at.pointer,
            )
        self._origins[ref] = str(at)

    def _name_at(self, at: Location) -> str | None:
        match = (_SCHEMA_MAP if self._is_document(at.file) else _TOP_LEVEL).match(at.pointer)
        if match is None:
            return None
        name = match.group(1).replace("~1", "/").replace("~0", "~")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
            raise UnsupportedConstructError(
                f"schema name {name!r} is not a valid class name", file=at.file, pointer=at.pointer
            )
        return name[0].upper() + name[1:]

    def _module_at(self, at: Location) -> str:
        if self._is_document(at.file):
            module = self._documents.get(at.file, "messages")
        else:
            module = at.file.rsplit("/", 1)[-1].split(".", 1)[0]
        node = self._resolver.node(at)
        if isinstance(node, dict) and isinstance(node.get("x-a4co-module"), str):
            module = node["x-a4co-module"]
        return _module_name(module)

    def _store(self, ref: ModelRef, node: Any, at: Location) -> None:
        if not isinstance(node, dict):
            raise UnsupportedConstructError("a schema must be an object", file=at.file, pointer=at.pointer)
        converted = self._convert(node, at, owner=ref)
        if "enum" in node:
            kind = "enum"
        elif "oneOf" in node or "anyOf" in node:
            kind = "union"
        elif node.get("type") == "object" or "properties" in node:
            kind = "object"
        else:
            kind = "other"
        self._schemas[ref] = NamedSchema(ref=ref, schema=converted, origin=str(at), kind=kind)  # type: ignore[arg-type]

    def _convert(self, node: Any, at: Location, *, owner: ModelRef | None, prop: str | None = None) -> Any:
        if isinstance(node, list):
            return [self._convert(item, at.child(i), owner=None) for i, item in enumerate(node)]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            _, target_at = self._resolver.deref(node, at)
            named = self.ref_at(target_at)
            if named is not None:
                return {"$ref": f"#/$defs/{named.qualified}"}
            target = self._resolver.node(target_at)
            return self._convert(target, target_at, owner=owner, prop=prop)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key.startswith("x-") or key in ("examples", "example", "$schema", "$id"):
                continue
            if key == "discriminator" and isinstance(value, str):
                out[key] = {"propertyName": value}
            elif key == "properties" and isinstance(value, dict):
                out[key] = {
                    name: self._convert(sub, at.child(key, name), owner=None, prop=name)
                    for name, sub in value.items()
                }
                if owner is not None:
                    for name in self._note_formats(owner, value, at.child(key)):
                        # The override type checks the pattern itself: pydantic cannot apply a string
                        # pattern to the Decimal the type produces.
                        out[key][name] = {
                            k: v for k, v in out[key][name].items() if k not in ("pattern", "format")
                        }
            else:
                out[key] = self._convert(value, at.child(key), owner=None)
        return out

    def _note_formats(self, owner: ModelRef, properties: dict[str, Any], at: Location) -> list[str]:
        """Record decimal-string and URI fields for type overrides; returns the decimal ones."""
        decimals = []
        for name, sub in properties.items():
            target, target_at = self._resolver.deref(sub, at.child(name))
            if not isinstance(target, dict) or self.ref_at(target_at) is not None:
                continue
            key = f"{owner.name}.{name}"
            if target.get("format") == "decimal" and target.get("type") == "string":
                self.decimal_fields[key] = str(target.get("pattern", ""))
                decimals.append(name)
            elif target.get("format") == "uri" and target.get("type") == "string":
                self.uri_fields.add(key)
        return decimals

    def json_schema(self) -> dict[str, Any]:
        """One JSON Schema with every named schema under `$defs`, as datamodel-code-generator reads it."""
        return {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "$defs": {ref.qualified: self._schemas[ref].schema for ref in sorted(self._schemas)},
        }
