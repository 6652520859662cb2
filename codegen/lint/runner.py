"""Running the lint: every rule over one contract set, every error collected, none raised."""

from __future__ import annotations

from typing import TYPE_CHECKING

from codegen.errors import ContractError
from codegen.lint.context import LintContext
from codegen.lint.lint_error import LintError
from codegen.lint.rules import RULES
from codegen.loader import Location

if TYPE_CHECKING:
    from collections.abc import Iterable

    from codegen.loader import ContractSet

__all__ = ["lint"]


def lint(contracts: ContractSet, *, rules: Iterable[str] | None = None) -> list[LintError]:
    """The errors of `contracts`, by file and pointer; `rules` restricts the run to those ids.

    Raises `KeyError` for an unknown rule id.
    """
    selected = list(RULES) if rules is None else list(rules)
    checks = [(rule_id, RULES[rule_id]) for rule_id in selected]
    context = LintContext(contracts)
    errors: list[LintError] = []
    for rule_id, check in checks:
        try:
            errors.extend(check(context))
        except ContractError as exc:  # the rule met something it could not read: say so, run the others
            location = Location(getattr(exc, "file", contracts.asyncapi.file), getattr(exc, "pointer", ""))
            errors.append(LintError.at(rule_id, location, f"the rule could not finish: {exc}"))
    order = {rule_id: index for index, rule_id in enumerate(RULES)}
    return sorted(dict.fromkeys(errors), key=lambda error: (error.file, error.pointer, order[error.rule_id]))
