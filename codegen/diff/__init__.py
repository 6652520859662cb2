"""Breaking-change detection between two versions of the contracts (`a4co codegen diff`).

Events stay in JetStream for days to a year and are replayed, so a message must stay readable
both ways: old consumers read new events (forward) and new consumers read stored ones
(backward). HTTP requests must stay backward compatible, responses forward compatible. Each
change is matched to a rule of `codegen.diff.rules`, graded by the mode that applies (a channel's
`x-a4co-compatibility`, full by default), and located in the new contracts (in the old ones for
what was removed). docs/decisions/007-breaking-changes.md is the reference.

    change.py     rules, directions, modes, severities; `grade`
    rules.py      the catalogue of rules
    schema_view.py, keywords.py, schema.py   structural JSON Schema comparison
    asyncapi.py   channels and messages     jetstream.py   streams and consumers
    openapi.py    HTTP operations           versions.py    the `.vN+1` policy
    git_base.py   a ref's contracts in a temporary directory
    report.py     the report, as a table or JSON
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codegen.diff.asyncapi import compare_channels
from codegen.diff.change import Change, Direction, Mode, Rule, Severity
from codegen.diff.git_base import GitBaseError, contracts_at
from codegen.diff.jetstream import compare_jetstream
from codegen.diff.openapi import compare_openapi
from codegen.diff.report import Report, render_text
from codegen.diff.rules import RULES
from codegen.loader import load_contracts
from codegen.model.asyncapi import read_asyncapi

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "RULES",
    "Change",
    "Direction",
    "GitBaseError",
    "Mode",
    "Report",
    "Rule",
    "Severity",
    "contracts_at",
    "diff_contracts",
    "render_text",
]


def diff_contracts(
    old: Path, new: Path, *, old_label: str | None = None, new_label: str | None = None
) -> Report:
    """Compare the contracts under `old` with those under `new`.

    Raises `codegen.errors.ContractError` when either side cannot be read (a missing
    asyncapi.yaml, invalid YAML); unresolvable `$ref`s are reported, not raised.
    """
    before, after = load_contracts(old), load_contracts(new)
    old_model, new_model = read_asyncapi(before), read_asyncapi(after)
    changes = [
        *compare_channels(before, after, old_model, new_model),
        *compare_jetstream(old_model, new_model),
        *compare_openapi(before, after),
    ]
    return Report.of(old_label or str(old), new_label or str(new), changes)
