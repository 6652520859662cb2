"""`invalid-example`: every example validates against the schema it illustrates.

Examples are documentation, mock data and test fixtures at once; one that does not match its
schema teaches the wrong thing. Checked here:

- AsyncAPI message examples, `headers` and `payload` each against the message's schema
  (traits applied), with JSON Schema draft-07 as AsyncAPI's schemas are;
- `examples` of the schemas in `contracts/schemas/` and in the AsyncAPI document, draft-07;
- OpenAPI examples of parameters, headers, request bodies and responses (`example`, and the
  `value` of each Example object), and `examples`/`example` of OpenAPI schemas, 2020-12.

Formats are asserted for uuid, date-time, email, uri and ipv4. Schemas are referenced by their
file URI, so their own `$ref`s resolve as written; files come from the contract resolver and
nothing is fetched.
"""

from __future__ import annotations

import re
from contextlib import suppress
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from jsonschema import Draft7Validator, Draft202012Validator, FormatChecker
from jsonschema.exceptions import UnknownType
from referencing import Registry, Resource, Specification
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT7, DRAFT202012

from codegen.errors import ContractError
from codegen.lint.jsonschema_errors import leaf_errors, short_message
from codegen.lint.lint_error import LintError
from codegen.loader import ContractSet, Location, iter_schemas, rewrite_refs
from codegen.loader import pointer as jp
from codegen.model import Message, asyncapi_sites, merge_patch, openapi_sites

if TYPE_CHECKING:
    from collections.abc import Iterator

    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

    from codegen.lint.context import LintContext

__all__ = ["FORMATS", "RULE_ID", "check_invalid_examples"]

RULE_ID = "invalid-example"
FORMATS = ("uuid", "date-time", "email", "uri", "ipv4")
_JSON_SCHEMA_FORMATS = ("application/vnd.aai.asyncapi", "application/schema+json")


def check_invalid_examples(ctx: LintContext) -> list[LintError]:
    """Validate every example of the contracts against its schema."""
    contracts = ctx.contracts
    draft7 = _Validation(contracts, Draft7Validator, DRAFT7)
    errors: list[LintError] = []
    for message in ctx.asyncapi.messages.values():
        errors.extend(_message_examples(contracts, draft7, message))
    for location, example in _schema_examples(_asyncapi_schemas(ctx), singular=False):
        errors.extend(draft7.check(location, example))

    documents = list(contracts.openapi.values())
    if contracts.openapi_components is not None:
        documents.append(contracts.openapi_components)
    sites = openapi_sites(contracts.resolver, documents)
    v2020 = _Validation(contracts, Draft202012Validator, DRAFT202012)
    for site in sites.examples:
        errors.extend(v2020.check(site.schema, site.value))
    openapi_schemas = [
        (location, contracts.node(location)) for location in sites.named_schemas + sites.inline_schemas
    ]
    for location, example in _schema_examples(openapi_schemas, singular=True):
        errors.extend(v2020.check(location, example))
    return list(dict.fromkeys(errors))


class _Validation:
    """Validates instances written in the contracts against schemas written in the contracts."""

    def __init__(
        self, contracts: ContractSet, cls: type[Validator], specification: Specification[Any]
    ) -> None:
        self.contracts = contracts
        self.cls = cls
        resolver = contracts.resolver

        def retrieve(uri: str) -> Resource[Any]:
            file = resolver.file_of_uri(uri)
            if file is not None:
                with suppress(ContractError):
                    return specification.create_resource(resolver.document(file))
            # referencing builds its exceptions with its own attrs decorator, which mypy does not see
            raise NoSuchResource(ref=uri)  # type: ignore[call-arg]

        # type: ignore: `retrieve` is an attrs field of referencing's own decorator, which mypy does not see
        self.registry: Registry[Any] = Registry(retrieve=retrieve).with_resources(  # type: ignore[call-arg]
            (resolver.uri(file), specification.create_resource(content))
            for file, content in resolver.loaded().items()
        )
        self.format_checker = FormatChecker(formats=FORMATS)

    def ref(self, location: Location) -> dict[str, str]:
        """A schema that is the one at `location`, by absolute reference."""
        return {"$ref": self.uri(location.file) + "#" + jp.to_fragment(location.pointer)}

    def uri(self, file: str) -> str:
        """The base URI of `file`."""
        return self.contracts.resolver.uri(file)

    def errors(self, schema: Any, instance: Any) -> list[ValidationError]:
        """The most specific errors of `instance` against `schema`.

        None when the schema cannot be applied: a broken `$ref` (reported by `unresolved-ref`),
        an unknown `type` or a `pattern` that does not compile (reported by `asyncapi-schema`
        and `openapi-schema`).
        """
        validator = self.cls(schema, registry=self.registry, format_checker=self.format_checker)
        try:
            return [leaf for error in validator.iter_errors(instance) for leaf in leaf_errors(error)]
        except (Unresolvable, UnknownType, re.error):
            return []

    def check(self, schema: Location, example: Location) -> list[LintError]:
        """The example at `example` against the schema at `schema`."""
        return self.report(self.ref(schema), example, f"example does not match {schema}")

    def report(self, schema: Any, example: Location, context: str) -> list[LintError]:
        """Errors of the example at `example` against `schema`, located in the example."""
        instance = self.contracts.node(example)
        return [
            LintError.at(RULE_ID, example.child(*error.absolute_path), f"{context}: {short_message(error)}")
            for error in self.errors(schema, instance)
        ]


def _message_examples(contracts: ContractSet, validation: _Validation, message: Message) -> list[LintError]:
    examples = message.effective.get("examples")
    origin = _origin(contracts, message, "examples")
    if not isinstance(examples, list) or origin is None:
        return []
    errors: list[LintError] = []
    for index, example in enumerate(examples):
        if not isinstance(example, dict):
            continue
        label = example.get("name") if isinstance(example.get("name"), str) else str(index)
        for part in ("headers", "payload"):
            if part not in example:
                continue
            at = origin.child(index, part)
            schema = _message_schema(contracts, validation, message, part)
            if schema is None:
                errors.append(
                    LintError.at(
                        RULE_ID,
                        at,
                        f"example {label} has {part}, but message {message.name} declares no {part}",
                    )
                )
            elif schema is not False:
                context = f"{part} of example {label} does not match the {part} of message {message.name}"
                errors.extend(validation.report(schema, at, context))
    return errors


def _origin(contracts: ContractSet, message: Message, field: str) -> Location | None:
    """Where the message's effective `field` is written: the message itself, else its last trait having it."""
    for owner in (message.location, *reversed(message.traits)):
        node = contracts.node(owner)
        if isinstance(node, dict) and field in node:
            return owner.child(field) if node[field] is not None else None
    return None


def _message_schema(contracts: ContractSet, validation: _Validation, message: Message, part: str) -> Any:
    """The schema of the message's `headers` or `payload`: `None` if it has none, `False` if not JSON Schema.

    One source (the usual case) is referenced where it is written; several (traits and the
    message merging objects) are merged with their references made absolute first.
    """
    sources: list[Location] = []
    for owner in (*message.traits, message.location):
        node = contracts.node(owner)
        if isinstance(node, dict) and part in node:
            sources.append(owner)
    if not sources or message.effective.get(part) is None:
        return None
    if len(sources) == 1:
        location = sources[0].child(part)
        schema = contracts.node(location)
        if isinstance(schema, dict) and "schemaFormat" in schema:
            schema_format = schema["schemaFormat"]
            if not (isinstance(schema_format, str) and schema_format.startswith(_JSON_SCHEMA_FORMATS)):
                return False  # Avro, Protobuf, ...: not checked here
            location = location.child("schema")
        return validation.ref(location)
    merged: Any = None
    for owner in sources:
        base = validation.uri(owner.file)
        absolute = rewrite_refs(contracts.node(owner.child(part)), partial(urljoin, base))
        merged = merge_patch(merged, absolute)
    return merged


def _asyncapi_schemas(ctx: LintContext) -> list[tuple[Location, Any]]:
    """The schemas written in contracts/schemas and in the AsyncAPI document."""
    contracts = ctx.contracts
    schemas: list[tuple[Location, Any]] = []
    for document in contracts.schemas.values():
        content = document.content if isinstance(document.content, dict) else {}
        schemas.extend((document.location.child(name), schema) for name, schema in content.items())
    sites = asyncapi_sites(contracts, ctx.asyncapi)
    schemas.extend(
        (location, contracts.node(location)) for location in sites.named_schemas + sites.inline_schemas
    )
    return schemas


def _schema_examples(
    schemas: list[tuple[Location, Any]], *, singular: bool
) -> Iterator[tuple[Location, Location]]:
    """(schema, example) locations for each `examples` item (and `example`, in OpenAPI) of the schemas."""
    seen: set[Location] = set()
    for root, schema in schemas:
        for location, node in iter_schemas(schema, root):
            if location in seen:
                continue
            seen.add(location)
            examples = node.get("examples")
            if isinstance(examples, list):
                for index in range(len(examples)):
                    yield location, location.child("examples", index)
            if singular and "example" in node:
                yield location, location.child("example")
