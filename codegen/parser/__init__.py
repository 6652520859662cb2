"""Contract files -> the intermediate model (`codegen.ir.Api`)."""

from __future__ import annotations

from pathlib import Path

from codegen.ir import Api, HttpDocument
from codegen.loader.resolver import Resolver
from codegen.parser.asyncapi import parse_asyncapi
from codegen.parser.jetstream import parse_jetstream
from codegen.parser.schemas import SchemaRegistry, UnsupportedConstructError

__all__ = ["UnsupportedConstructError", "parse"]


def parse(contracts: Path, *, package: str, asyncapi: str = "asyncapi.yaml", openapi: str = "openapi") -> Api:
    """Read every contract under `contracts` into an `Api`; raises ContractError naming file and pointer."""
    resolver = Resolver(contracts)
    openapi_files = sorted(
        f"{openapi}/{path.name}"
        for path in (contracts / openapi).glob("*.yaml")
        if (contracts / openapi).is_dir()
    )
    documents = {asyncapi: "messages"}
    for file in openapi_files:
        info = resolver.document(file).get("info") or {}
        documents[file] = str(info.get("x-a4co-service") or Path(file).stem)
    registry = SchemaRegistry(resolver, documents=documents)
    document = resolver.document(asyncapi)
    streams, consumers = parse_jetstream(document, asyncapi)
    parts = parse_asyncapi(resolver, asyncapi, registry, streams, consumers)
    http: tuple[HttpDocument, ...] = ()
    if openapi_files:
        from codegen.parser.openapi import parse_openapi  # noqa: PLC0415 - HTTP support is optional

        http = tuple(
            parse_openapi(resolver, file, registry, service=documents[file]) for file in openapi_files
        )
    return Api(
        title=parts.title,
        version=parts.version,
        package=package,
        schemas=registry.schemas,
        channels=tuple(parts.channels),
        operations=tuple(parts.operations),
        streams=streams,
        consumers=consumers,
        http=http,
        decimal_fields=dict(sorted(registry.decimal_fields.items())),
        uri_fields=tuple(sorted(registry.uri_fields)),
    )
