"""What every rule is given: the contract set and the models read from it, each read once."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from codegen.model import AsyncAPIModel, HttpOperation, read_asyncapi, read_http_operations

if TYPE_CHECKING:
    from codegen.loader import ContractSet

__all__ = ["LintContext"]


class LintContext:
    """The contract set under lint, with its AsyncAPI and HTTP models built on first use."""

    def __init__(self, contracts: ContractSet) -> None:
        self.contracts = contracts

    @cached_property
    def asyncapi(self) -> AsyncAPIModel:
        """The AsyncAPI document, cross-referenced."""
        return read_asyncapi(self.contracts)

    @cached_property
    def http(self) -> dict[str, list[HttpOperation]]:
        """The HTTP operations of each service."""
        return read_http_operations(self.contracts)
