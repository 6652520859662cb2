"""`asyncapi-schema`: the AsyncAPI document is valid against the official AsyncAPI 3.0.0 schema.

The document is bundled first (external `$ref`s inlined, see `codegen.loader.bundle`) so that
the schemas it pulls from `schemas/*.yaml` are validated too, each error then mapped back to
the file and pointer it came from. Validation uses an explicit `referencing` registry, so an
unknown `$ref` in the official schema could never trigger a download.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT7

from codegen.errors import SpecsError
from codegen.lint.asyncapi_specs import SPECS_PACKAGE, SPECS_VERSION, official_schema
from codegen.lint.jsonschema_errors import instance_pointer, leaf_errors, short_message
from codegen.lint.lint_error import LintError
from codegen.loader import bundle

if TYPE_CHECKING:
    from codegen.lint.context import LintContext

__all__ = ["RULE_ID", "check_asyncapi_schema"]

RULE_ID = "asyncapi-schema"
_SCHEMA_URI = "urn:asyncapi:specs:3.0.0"
ASYNCAPI_VERSION = "3.0.0"
# The formats the official schema uses and the JavaScript parser asserts; `regex` also makes sure
# every `pattern` compiles in Python, where the platform validates messages.
_FORMATS = FormatChecker(formats=("email", "regex", "uri", "uri-reference"))


def check_asyncapi_schema(ctx: LintContext) -> list[LintError]:
    """Validate the bundled AsyncAPI document against the official JSON Schema."""
    document = ctx.contracts.asyncapi
    version = document.content.get("asyncapi") if isinstance(document.content, dict) else None
    if version != ASYNCAPI_VERSION:
        return [
            LintError.at(
                RULE_ID,
                document.location.child("asyncapi"),
                f"the platform reads AsyncAPI {ASYNCAPI_VERSION} documents, this one says {version!r}",
            )
        ]
    try:
        schema = official_schema()
    except SpecsError as exc:
        return [LintError.at(RULE_ID, document.location, f"cannot check against the official schema: {exc}")]
    registry: Registry[Any] = Registry().with_resource(_SCHEMA_URI, DRAFT7.create_resource(schema))
    validator = Draft7Validator({"$ref": _SCHEMA_URI}, registry=registry, format_checker=_FORMATS)
    bundled = bundle(ctx.contracts.resolver, document.file)
    errors: list[LintError] = []
    for error in validator.iter_errors(bundled.document):
        for leaf in leaf_errors(error):
            origin = bundled.origin(instance_pointer(leaf))
            message = f"{short_message(leaf)} ({SPECS_PACKAGE}@{SPECS_VERSION})"
            errors.append(LintError.at(RULE_ID, origin, message))
    return list(dict.fromkeys(errors))
