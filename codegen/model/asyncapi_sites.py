"""Where the AsyncAPI document writes schemas of its own (not `$ref`s into `schemas/`).

A message's `headers` and `payload` (and those of its traits) are schemas, usually a `$ref`
to a named schema but possibly written inline; `components.schemas` holds schemas too. Rules
about how schemas are written (named, with valid examples) look at each of them once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codegen.loader import ContractSet, Location
    from codegen.model.asyncapi import AsyncAPIModel

__all__ = ["AsyncAPISites", "asyncapi_sites"]


@dataclass
class AsyncAPISites:
    """The schemas the AsyncAPI document writes itself."""

    #: `components.schemas` entries
    named_schemas: list[Location] = field(default_factory=list)
    #: `headers` and `payload` of messages and message traits, as written (maybe a `$ref`)
    inline_schemas: list[Location] = field(default_factory=list)


def asyncapi_sites(contracts: ContractSet, model: AsyncAPIModel) -> AsyncAPISites:
    """The schema locations of the AsyncAPI document of `contracts`, each listed once."""
    sites = AsyncAPISites()
    document = contracts.asyncapi
    components = document.content.get("components") if isinstance(document.content, dict) else None
    schemas = components.get("schemas") if isinstance(components, dict) else None
    if isinstance(schemas, dict):
        sites.named_schemas.extend(document.location.child("components", "schemas", name) for name in schemas)
    inline: dict[Location, None] = {}
    for message in model.messages.values():
        for owner in (message.location, *message.traits):
            node = contracts.node(owner)
            if isinstance(node, dict):
                inline.update((owner.child(part), None) for part in ("headers", "payload") if part in node)
    sites.inline_schemas.extend(inline)
    return sites
