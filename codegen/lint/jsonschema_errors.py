"""Turning jsonschema's errors into messages a person can act on.

A failed `oneOf`/`anyOf` says only "is not valid under any of the given schemas" about a
whole object. The official AsyncAPI schema is full of them (every component is "a Reference
or the thing itself"), so the useful error is inside: the branch the instance was meant for.
`leaf_errors` descends into it: branches that failed only because the instance is not a
`$ref` are dropped, and of the rest the one whose errors reach deepest is followed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codegen.loader import pointer as jp

if TYPE_CHECKING:
    from collections.abc import Iterable

    from jsonschema.exceptions import ValidationError

__all__ = ["instance_pointer", "leaf_errors", "short_message"]

_MAX_MESSAGE = 300


def leaf_errors(error: ValidationError) -> list[ValidationError]:
    """The most specific errors behind `error` (itself when it has no sub-errors)."""
    if not error.context:
        return [error]
    branches: dict[object, list[ValidationError]] = {}
    for sub in error.context:
        key = sub.relative_schema_path[0] if sub.relative_schema_path else None
        branches.setdefault(key, []).append(sub)
    viable = [errors for errors in branches.values() if not _only_not_a_reference(errors)] or list(
        branches.values()
    )
    best = max(viable, key=lambda errors: max(len(sub.absolute_path) for sub in errors))
    return [leaf for sub in best for leaf in leaf_errors(sub)]


def _only_not_a_reference(errors: Iterable[ValidationError]) -> bool:
    return any(
        sub.validator == "required"
        and isinstance(sub.validator_value, list)
        and "$ref" in sub.validator_value
        for sub in errors
    )


def instance_pointer(error: ValidationError) -> str:
    """The JSON pointer, within the validated instance, of the part that failed."""
    return jp.join("", *error.absolute_path)


def short_message(error: ValidationError) -> str:
    """The first line of `error.message`, cut in the middle when a large instance is quoted in it.

    (openapi-spec-validator's jsonschema-rs backend appends the failing schema and instance
    after a blank line: the first line is the message.)
    """
    message = error.message.strip().split("\n", 1)[0]
    if len(message) <= _MAX_MESSAGE:
        return message
    half = _MAX_MESSAGE // 2
    return f"{message[:half]} … {message[-half:]}"
