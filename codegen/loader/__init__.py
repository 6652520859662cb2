"""Loading contracts: YAML files read once, `$ref`s resolved across files, origins kept.

The data stays plain JSON (dicts, lists, scalars) so it can go to jsonschema and templates as
it is; where a node came from travels beside it as a `Location` (file + JSON pointer). Nothing
here prints: failures are `codegen.errors.ContractError`s carrying the file and pointer.
"""

from codegen.loader.bundle import Bundle, bundle
from codegen.loader.contract_set import (
    ASYNCAPI_FILE,
    OPENAPI_COMPONENTS,
    ContractSet,
    Document,
    load_contracts,
)
from codegen.loader.location import Location
from codegen.loader.resolver import Resolver
from codegen.loader.schema_walk import iter_schemas, iter_subschemas
from codegen.loader.walk import iter_refs, rewrite_refs

__all__ = [
    "ASYNCAPI_FILE",
    "OPENAPI_COMPONENTS",
    "Bundle",
    "ContractSet",
    "Document",
    "Location",
    "Resolver",
    "bundle",
    "iter_refs",
    "iter_schemas",
    "iter_subschemas",
    "load_contracts",
    "rewrite_refs",
]
