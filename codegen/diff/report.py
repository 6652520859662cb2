"""The result of a comparison, as a rich table for people and as JSON for CI.

Breaking changes come first; compatible ones are listed too, so that a reviewer sees what the
detector considered and let through (an added optional property, a new `.v2` channel).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

from codegen.diff.change import Change, Severity

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["Report", "render_text"]

_STYLE = {Severity.BREAKING: "bold red", Severity.WARNING: "yellow", Severity.COMPATIBLE: "green"}


@dataclass(frozen=True)
class Report:
    """Every change from `old` to `new` (labels: directories or `git:<ref>`), most severe first."""

    old: str
    new: str
    changes: tuple[Change, ...]

    @classmethod
    def of(cls, old: str, new: str, changes: list[Change]) -> Report:
        ordered = sorted(
            changes,
            key=lambda c: (c.severity.rank, c.location.file, c.location.pointer, c.rule.id, c.message),
        )
        return cls(old, new, tuple(ordered))

    @property
    def breaking(self) -> bool:
        """Whether any change is breaking: `a4co codegen diff` then exits 1."""
        return any(change.severity is Severity.BREAKING for change in self.changes)

    def counts(self) -> dict[str, int]:
        """How many changes of each severity, every severity present."""
        found = Counter(change.severity for change in self.changes)
        return {str(severity): found[severity] for severity in Severity}

    def to_json(self) -> dict[str, Any]:
        """The report as `--format json` prints it."""
        return {
            "old": self.old,
            "new": self.new,
            "breaking": self.breaking,
            "summary": self.counts(),
            "changes": [change.to_json() for change in self.changes],
        }


def render_text(report: Report, console: Console) -> None:
    """A table of the changes and a one-line summary."""
    counts = report.counts()
    summary = ", ".join(f"{n} {severity}" for severity, n in counts.items())
    if not report.changes:
        console.print(f"no contract changes between {report.old} and {report.new}")
        return
    table = Table(title=f"contract changes {report.old} -> {report.new}", show_lines=True, expand=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("rule", no_wrap=True)
    table.add_column("change", overflow="fold", ratio=1)
    for change in report.changes:
        where = f"{change.location}" + (" (old contracts)" if change.side == "old" else "")
        table.add_row(
            Text(str(change.severity), style=_STYLE[change.severity]),
            change.rule.id,
            Text.assemble((change.subject, "bold"), ": ", change.message, "\n", (where, "dim")),
        )
    console.print(table)
    verdict = "[bold red]breaking[/]" if report.breaking else "[green]no breaking change[/]"
    console.print(f"{verdict}: {summary}")
