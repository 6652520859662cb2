"""What the linter reports: one value per problem, naming the rule, the file and the pointer."""

from __future__ import annotations

from dataclasses import dataclass

from codegen.loader import Location

__all__ = ["LintError"]


@dataclass(frozen=True, slots=True)
class LintError:
    """A contract breaks rule `rule_id` at `file` (relative to the contracts root) and `pointer`."""

    rule_id: str
    file: str
    pointer: str
    message: str

    @classmethod
    def at(cls, rule_id: str, location: Location, message: str) -> LintError:
        """The error of `rule_id` at `location`."""
        return cls(rule_id, location.file, location.pointer, message)

    @property
    def location(self) -> Location:
        """Where the problem is."""
        return Location(self.file, self.pointer)

    def __str__(self) -> str:
        return f"{self.file}:{self.pointer}  [{self.rule_id}]  {self.message}"
