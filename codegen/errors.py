"""The one exception family of the contract toolchain.

Loading, resolving and fetching raise these; linting never does: the linter turns what it
finds into `LintError` values and returns them all, so that one run reports every problem.
Context travels as keyword-only attributes (file, pointer, ref) so callers can report it
without parsing the message.

    ContractError
     ├── LoadError         a contract file is missing or is not valid YAML
     ├── PointerError      a JSON pointer names nothing in its document
     ├── RefError          a `$ref` does not resolve
     │    └── RefCycleError   a chain of `$ref`s leads back to itself
     └── SpecsError        the official AsyncAPI JSON Schema could not be fetched or verified
"""

from __future__ import annotations

__all__ = ["ContractError", "LoadError", "PointerError", "RefCycleError", "RefError", "SpecsError"]


class ContractError(Exception):
    """Base of every error the contract toolchain raises."""


class LoadError(ContractError):
    """A contract file could not be read or parsed."""

    def __init__(self, message: str, *, file: str, line: int | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.line = line


class PointerError(ContractError):
    """A JSON pointer does not name a node of its document."""

    def __init__(self, message: str, *, pointer: str) -> None:
        super().__init__(message)
        self.pointer = pointer


class RefError(ContractError):
    """A `$ref` does not resolve; `file` and `pointer` say where the `$ref` is written."""

    def __init__(self, message: str, *, ref: str, file: str, pointer: str) -> None:
        super().__init__(message)
        self.ref = ref
        self.file = file
        self.pointer = pointer


class RefCycleError(RefError):
    """Following `$ref`s from one node leads back to a `$ref` already followed."""


class SpecsError(ContractError):
    """The official AsyncAPI JSON Schema could not be downloaded, verified or read."""
