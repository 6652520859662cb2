"""The HTTP operations of the OpenAPI documents, one list per service.

Path items may be `$ref`s (OpenAPI 3.1 allows it, and the services share their health probes
from `openapi/components.yaml` that way); they are followed. `x-a4co-sla-ms` is the latency
budget the design document gives an operation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from codegen.errors import ContractError

if TYPE_CHECKING:
    from codegen.loader import ContractSet, Location

__all__ = ["HTTP_METHODS", "HttpOperation", "read_http_operations"]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class HttpOperation:
    """One method of one path of a service's OpenAPI document."""

    service: str
    method: str
    path: str
    location: Location
    operation_id: str | None
    summary: str | None
    sla_ms: int | None


def read_http_operations(contracts: ContractSet) -> dict[str, list[HttpOperation]]:
    """The operations of each service's OpenAPI document, in document order."""
    result: dict[str, list[HttpOperation]] = {}
    for service, document in contracts.openapi.items():
        operations: list[HttpOperation] = []
        paths = document.content.get("paths") if isinstance(document.content, dict) else None
        for path in paths if isinstance(paths, dict) else {}:
            try:
                item, at = contracts.resolver.deref_location(document.location.child("paths", path))
            except ContractError:
                continue
            if not isinstance(item, dict):
                continue
            for method in HTTP_METHODS:
                operation = item.get(method)
                if isinstance(operation, dict):
                    operations.append(_operation(service, method, path, at.child(method), operation))
        result[service] = operations
    return result


def _operation(
    service: str, method: str, path: str, at: Location, operation: dict[str, Any]
) -> HttpOperation:
    operation_id = operation.get("operationId")
    summary = operation.get("summary")
    sla = operation.get("x-a4co-sla-ms")
    return HttpOperation(
        service=service,
        method=method.upper(),
        path=path,
        location=at,
        operation_id=operation_id if isinstance(operation_id, str) else None,
        summary=summary if isinstance(summary, str) else None,
        sla_ms=sla if isinstance(sla, int) and not isinstance(sla, bool) else None,
    )
