"""The contract set: every file under `contracts/`, read once, ready to resolve across files.

`load_contracts` reads the layout docs/contracts.md describes:

    asyncapi.yaml              the AsyncAPI 3 document
    schemas/<context>.yaml     named JSON Schemas, one file per bounded context
    openapi/<service>.yaml     one OpenAPI 3.1 document per service
    openapi/components.yaml    HTTP components shared by the services' documents

Files that only a `$ref` names are read when first resolved. The result is plain data: the
linter, the code generator and the breaking-change detector all start from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from codegen.errors import LoadError
from codegen.loader.location import Location
from codegen.loader.resolver import Resolver

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = ["ASYNCAPI_FILE", "OPENAPI_COMPONENTS", "ContractSet", "Document", "load_contracts"]

ASYNCAPI_FILE = "asyncapi.yaml"
#: Stem of the file in openapi/ that holds shared components rather than a service's API.
OPENAPI_COMPONENTS = "components"
_YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Document:
    """One contract file and its parsed content."""

    file: str
    content: Any

    @property
    def location(self) -> Location:
        """The location of the document's root."""
        return Location(self.file)


@dataclass(frozen=True)
class ContractSet:
    """What `contracts/` defines, with the resolver that follows its `$ref`s."""

    root: Path
    resolver: Resolver
    asyncapi: Document
    #: the shared schema files, by bounded context (the file's stem)
    schemas: dict[str, Document] = field(default_factory=dict)
    #: the OpenAPI documents, by service (the file's stem)
    openapi: dict[str, Document] = field(default_factory=dict)
    #: openapi/components.yaml, when it exists
    openapi_components: Document | None = None

    def documents(self) -> Iterator[Document]:
        """Every file of the layout: the AsyncAPI document, schemas, OpenAPI documents."""
        yield self.asyncapi
        yield from self.schemas.values()
        yield from self.openapi.values()
        if self.openapi_components is not None:
            yield self.openapi_components

    def node(self, location: Location) -> Any:
        """The node at `location` (which may be in a file only a `$ref` names)."""
        return self.resolver.node(location)


def load_contracts(root: Path) -> ContractSet:
    """Read the contract set under `root`; `LoadError` if a file is missing or not YAML."""
    if not root.is_dir():
        raise LoadError("contracts directory not found", file=str(root))
    resolver = Resolver(root)

    def read(file: str) -> Document:
        return Document(file, resolver.document(file))

    asyncapi = read(ASYNCAPI_FILE)
    schemas = {path.stem: read(resolver.file_of(path)) for path in _yaml_files(resolver.root / "schemas")}
    openapi: dict[str, Document] = {}
    components: Document | None = None
    for path in _yaml_files(resolver.root / "openapi"):
        document = read(resolver.file_of(path))
        if path.stem == OPENAPI_COMPONENTS:
            components = document
        else:
            openapi[path.stem] = document
    return ContractSet(
        root=resolver.root,
        resolver=resolver,
        asyncapi=asyncapi,
        schemas=schemas,
        openapi=openapi,
        openapi_components=components,
    )


def _yaml_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(path for path in directory.iterdir() if path.suffix in _YAML_SUFFIXES and path.is_file())
