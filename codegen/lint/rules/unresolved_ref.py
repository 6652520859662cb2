"""`unresolved-ref`: every `$ref`, in every contract file and every file they reach, resolves.

A reference is followed to its end: a chain of `$ref`s that comes back to itself is reported
as a cycle (schemas that contain themselves, like a tree's children, are fine: that is
recursion through a property, not a reference to a reference).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codegen.errors import RefCycleError, RefError
from codegen.lint.lint_error import LintError
from codegen.loader import Location, iter_refs

if TYPE_CHECKING:
    from codegen.lint.context import LintContext

__all__ = ["RULE_ID", "check_unresolved_refs"]

RULE_ID = "unresolved-ref"


def check_unresolved_refs(ctx: LintContext) -> list[LintError]:
    """Resolve every `$ref` written in the contracts; report those that do not resolve."""
    resolver = ctx.contracts.resolver
    pending = [document.file for document in ctx.contracts.documents()]
    walked: set[str] = set()
    errors: list[LintError] = []
    while pending:
        file = pending.pop(0)
        if file in walked:
            continue
        walked.add(file)
        for at, ref in iter_refs(resolver.document(file), Location(file)):
            try:
                target = resolver.target(ref, at)
                resolver.deref_location(target)
            except RefCycleError as exc:
                errors.append(LintError.at(RULE_ID, at.child("$ref"), str(exc)))
            except RefError as exc:
                errors.append(LintError.at(RULE_ID, at.child("$ref"), str(exc)))
            else:
                if target.file not in walked:
                    pending.append(target.file)
    return errors
