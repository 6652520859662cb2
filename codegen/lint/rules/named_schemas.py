"""`named-schemas`: no anonymous inline object schemas; nested objects are `$ref`s to names.

Every object the SDK models becomes a class, and a class needs a name a person chose: a
top-level key of a file in `contracts/schemas/` (the file is the bounded context) or, for
HTTP-only shapes, an entry of an OpenAPI document's `components.schemas`. An object schema is
one that lists `properties`; a map (`additionalProperties` without `properties`) is fine.
Schemas the AsyncAPI document writes itself (inline payloads, `components.schemas`) are not
names: event schemas live in `contracts/schemas/`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from codegen.lint.lint_error import LintError
from codegen.loader import iter_schemas, iter_subschemas
from codegen.model import asyncapi_sites, openapi_sites

if TYPE_CHECKING:
    from collections.abc import Iterator

    from codegen.lint.context import LintContext
    from codegen.loader import Location

__all__ = ["RULE_ID", "check_named_schemas"]

RULE_ID = "named-schemas"
_TO_SCHEMAS = "name it in contracts/schemas/<context>.yaml and $ref it"
_TO_COMPONENTS = "make it a schema of components.schemas and $ref it"

_Found = dict["Location", str]


def check_named_schemas(ctx: LintContext) -> list[LintError]:
    """Report every object schema that is not a named, top-level schema."""
    found: _Found = {}
    _schema_files(ctx, found)
    _asyncapi(ctx, found)
    _openapi(ctx, found)
    return [
        LintError.at(RULE_ID, location, f"anonymous inline object schema: {fix}")
        for location, fix in found.items()
    ]


def _record(found: _Found, schemas: Iterator[tuple[Location, dict[str, Any]]], fix: str) -> None:
    for location, schema in schemas:
        if isinstance(schema.get("properties"), dict):
            found.setdefault(location, fix)


def _schema_files(ctx: LintContext, found: _Found) -> None:
    for document in ctx.contracts.schemas.values():
        content = document.content if isinstance(document.content, dict) else {}
        fix = f"make it a top-level schema of {document.file} and $ref it"
        for name, schema in content.items():
            if isinstance(schema, dict):
                _record(found, iter_subschemas(schema, document.location.child(name)), fix)


def _asyncapi(ctx: LintContext, found: _Found) -> None:
    contracts = ctx.contracts
    sites = asyncapi_sites(contracts, ctx.asyncapi)
    for location in sites.named_schemas + sites.inline_schemas:
        _record(found, iter_schemas(contracts.node(location), location), _TO_SCHEMAS)


def _openapi(ctx: LintContext, found: _Found) -> None:
    contracts = ctx.contracts
    documents = list(contracts.openapi.values())
    if contracts.openapi_components is not None:
        documents.append(contracts.openapi_components)
    sites = openapi_sites(contracts.resolver, documents)
    for location in sites.named_schemas:
        schema = contracts.node(location)
        if isinstance(schema, dict):
            _record(found, iter_subschemas(schema, location), _TO_COMPONENTS)
    for location in sites.inline_schemas:
        _record(found, iter_schemas(contracts.node(location), location), _TO_COMPONENTS)
