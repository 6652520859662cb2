"""`openapi-schema`: every OpenAPI document is valid OpenAPI 3.1 (openapi-spec-validator).

Each document is validated with its own `file:` URI as base, so relative `$ref`s
(`./components.yaml#/...`, `../schemas/order.yaml#/...`) resolve. Referenced files are read
through the contract resolver (the same YAML reading as everywhere else); remote references
are refused, so validation never goes to the network.

openapi-spec-validator checks in two passes: the OpenAPI 3.1 meta-schema over the whole
document, whose errors have a precise pointer, then semantic checks (duplicate operationIds,
undeclared path parameters, each schema against its dialect, defaults against their schemas)
whose errors carry paths relative to the part checked. For schemas, the lint does that check
itself first, against the 2020-12 meta-schema, so that the error names the schema's pointer;
the remaining semantic errors are reported at the document root (their message names the
operation or path).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema_path import SchemaPath
from openapi_spec_validator import OpenAPIV31SpecValidator
from referencing import Registry
from referencing.exceptions import Unresolvable

from codegen.errors import ContractError
from codegen.lint.jsonschema_errors import leaf_errors, short_message
from codegen.lint.lint_error import LintError
from codegen.model import openapi_sites

if TYPE_CHECKING:
    from codegen.lint.context import LintContext
    from codegen.loader import Document, Location, Resolver

__all__ = ["RULE_ID", "check_openapi_schema"]

RULE_ID = "openapi-schema"


def check_openapi_schema(ctx: LintContext) -> list[LintError]:
    """Validate each OpenAPI document (and openapi/components.yaml when it is one)."""
    contracts = ctx.contracts
    documents = list(contracts.openapi.values())
    shared = contracts.openapi_components
    if shared is not None and isinstance(shared.content, dict) and "openapi" in shared.content:
        documents.append(shared)
    errors: list[LintError] = []
    for document in documents:
        errors.extend(_check(contracts.resolver, document))
    return list(dict.fromkeys(errors))


def _check(resolver: Resolver, document: Document) -> list[LintError]:
    content = document.content
    if not isinstance(content, dict):
        return [LintError.at(RULE_ID, document.location, "an OpenAPI document must be a mapping")]
    version = content.get("openapi")
    if not (isinstance(version, str) and version.startswith("3.1.")):
        return [
            LintError.at(
                RULE_ID, document.location.child("openapi"), f"must be OpenAPI 3.1.x, says {version!r}"
            )
        ]
    validator = _validator(resolver, document)
    errors: list[LintError] = []
    for error in validator.schema_validator.iter_errors(content):
        errors.extend(
            LintError.at(RULE_ID, document.location.child(*leaf.absolute_path), short_message(leaf))
            for leaf in leaf_errors(error)
        )
    if errors:  # the semantic pass assumes a structurally valid document
        return errors
    schema_errors, reported = _check_schemas(resolver, document)
    try:
        semantic = list(validator.root_validator(validator.schema_path))
    except Unresolvable:
        # openapi-spec-validator raises, rather than reports, on a reference it cannot follow:
        # the semantic checks stop there, and `unresolved-ref` reports the reference.
        return schema_errors
    except ContractError as exc:
        return [*schema_errors, LintError.at(RULE_ID, document.location, f"not fully validated: {exc}")]
    return schema_errors + [
        LintError.at(RULE_ID, document.location, short_message(error))
        for error in semantic
        if error.message not in reported
    ]


def _check_schemas(resolver: Resolver, document: Document) -> tuple[list[LintError], set[str]]:
    """The document's own schemas against the 2020-12 meta-schema, with their pointers.

    Also returns the raw messages, which openapi-spec-validator will repeat without a pointer.
    """
    meta = Draft202012Validator(
        Draft202012Validator.META_SCHEMA,
        registry=Registry(),
        format_checker=FormatChecker(formats=("regex",)),
    )
    sites = openapi_sites(resolver, [document])
    errors: list[LintError] = []
    messages: set[str] = set()
    for location in dict.fromkeys(sites.named_schemas + sites.inline_schemas):
        if location.file != document.file:
            continue  # checked with the document that holds it
        for error in meta.iter_errors(resolver.node(location)):
            messages.add(error.message)
            errors.extend(_at(location, leaf) for leaf in leaf_errors(error))
    return errors, messages


def _at(location: Location, error: Any) -> LintError:
    return LintError.at(RULE_ID, location.child(*error.absolute_path), short_message(error))


def _validator(resolver: Resolver, document: Document) -> OpenAPIV31SpecValidator:
    """A validator whose `$ref`s are read by the contract resolver, never from the network."""

    def read(uri: str) -> Any:
        file = resolver.file_of_uri(uri.partition("#")[0])
        if file is None:
            raise ContractError(f"{uri}: only file references are resolved")
        return resolver.document(file)

    def refuse(uri: str) -> Any:
        raise ContractError(f"{uri}: remote references are not resolved, contracts are self-contained")

    handlers = {"file": read, "http": refuse, "https": refuse}
    path = SchemaPath.from_dict(document.content, base_uri=resolver.uri(document.file), handlers=handlers)
    return OpenAPIV31SpecValidator(path)
