"""The contract lint: the conventions of docs/contracts.md, checked.

`lint(load_contracts(path))` returns every `LintError` found, each naming its rule, file and
JSON pointer; an empty list means the contracts pass. Rules are listed in `RULES`.
"""

from codegen.lint.context import LintContext
from codegen.lint.lint_error import LintError
from codegen.lint.rules import RULES, Rule
from codegen.lint.runner import lint

__all__ = ["RULES", "LintContext", "LintError", "Rule", "lint"]
