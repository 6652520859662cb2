"""The HTTP half of the SDK: per OpenAPI document, its endpoint table, typed client and server interface.

`render_http` returns paths relative to the package:

- `endpoints/<service>.py`: one `EndpointSpec` per operation, the table client and server both follow;
- `clients/<service>.py`: `<Service>Client`, one async method per operation;
- `servers/<service>.py`: `<Service>Api`, one abstract async method per operation, and `routes()`/`app()`;
- the `__init__` of each of the three packages.

Documents without operations (shared components only) produce nothing. What the templates need beyond the
intermediate model (signatures, imports, docstring lines) is computed here, so templates stay declarative.
"""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING, Any

from codegen.errors import ContractError
from codegen.parser.schemas import python_identifier, snake_case

if TYPE_CHECKING:
    import jinja2

    from codegen.ir import Api, HttpDocument, HttpOperation, HttpParameter, TypeExpr

__all__ = ["render_http"]

# The exception each status raises in the client (runtime/http_errors.py), for the docstrings.
_ERRORS = {
    "400": "BadRequest",
    "401": "Unauthorized",
    "403": "Forbidden",
    "404": "NotFound",
    "409": "Conflict",
    "422": "UnprocessableContent",
    "429": "TooManyRequests",
    "503": "ServiceUnavailable",
    "504": "GatewayTimeout",
}


def _optional(source: str) -> str:
    return source if source.endswith("| None") else f"{source} | None"


def _union(types: list[str]) -> str:
    unique = list(dict.fromkeys(types))
    if "None" in unique and len(unique) > 1:
        unique = [t for t in unique if t != "None"] + ["None"]
    return " | ".join(unique)


def _error_name(status: str) -> str:
    if status in _ERRORS:
        return _ERRORS[status]
    if status.startswith("5"):
        return "ServerError"
    return "HttpError"


def _doc(text: str) -> str:
    """Text that is safe inside a generated triple-quoted docstring."""
    return text.replace("\\", "\\\\").replace('"""', "'''")


def _wrap(text: str) -> list[str]:
    """Docstring lines of a method body (indented 8) that stay within the line length."""
    return textwrap.wrap(text, width=100, break_long_words=False, break_on_hyphens=False)


def _plain(value: Any) -> Any:
    """Extension values as plain JSON data, so that they render as Python literals (YAML dates as text)."""
    return json.loads(json.dumps(value, default=str))


class _Imports:
    """The models modules and standard-library names a generated module's annotations need."""

    def __init__(self) -> None:
        self.modules: set[str] = set()
        self.stdlib: set[tuple[str, str]] = set()

    def add(self, expr: TypeExpr | None) -> None:
        if expr is None:
            return
        self.modules.update(ref.module for ref in expr.models)
        for dotted in expr.stdlib:
            module, _, name = dotted.rpartition(".")
            self.stdlib.add((module, name))

    def view(self) -> dict[str, Any]:
        return {
            "modules": sorted(self.modules),
            "stdlib": [{"module": m, "name": n} for m, n in sorted(self.stdlib)],
        }


def _client_parameter(p: HttpParameter) -> dict[str, Any]:
    if p.required:
        return {"name": p.python_name, "annotation": p.type.source, "default": ""}
    return {"name": p.python_name, "annotation": _optional(p.type.source), "default": " = None"}


def _server_parameter(p: HttpParameter) -> dict[str, Any]:
    # The runtime always passes every parameter: the contract's default when one exists, else None.
    required = p.required or p.default is not None
    return {"name": p.python_name, "annotation": p.type.source if required else _optional(p.type.source)}


def _operation_view(op: HttpOperation, imports: _Imports) -> dict[str, Any]:
    for p in op.parameters:
        imports.add(p.type)
    if op.body is not None:
        imports.add(op.body.type)
    for r in op.responses:
        imports.add(r.type)
    successes = op.successes
    result = _union([r.type.source if r.type is not None else "None" for r in successes])
    body = None
    if op.body is not None:
        annotation = op.body.type.source if op.body.required else _optional(op.body.type.source)
        body = {"annotation": annotation, "default": "" if op.body.required else " = None"}
    errors = [
        f"{_error_name(r.status)} ({r.status})"
        for r in op.responses
        if not r.status.startswith("2") and r.status[0] != "1"
    ]
    facts = [f"`{op.method} {op.path}` (operation `{op.id}`)"]
    if op.sla_ms is not None:
        facts.append(f"SLA {op.sla_ms} ms")
    if op.security:
        facts.append("secured: " + " or ".join(_requirement(r) for r in op.security))
    else:
        facts.append("public")
    summary = _doc((op.summary or op.id).rstrip(".") + ".")
    about = _doc("; ".join(facts) + "." + (" Deprecated." if op.deprecated else ""))
    client_doc = [summary, "", *_wrap(about)]
    if errors:
        client_doc += ["", *_wrap(f"Raises {', '.join(errors)}.")]
    statuses = ", ".join(r.status for r in successes)
    server_doc = [summary, "", *_wrap(f"{about} Success: {statuses}.")]
    return {
        "op": op,
        "constant": snake_case(op.id).upper(),
        "client_doc": client_doc,
        "server_doc": server_doc,
        "result": result,
        "client_parameters": [_client_parameter(p) for p in op.parameters],
        "server_parameters": [_server_parameter(p) for p in op.parameters],
        "body": body,
        "summary": summary,
        "extensions": _plain(op.extensions),
    }


def _requirement(requirement: dict[str, tuple[str, ...]]) -> str:
    if not requirement:
        return "anonymous"
    parts = [f"{name} ({', '.join(scopes)})" if scopes else name for name, scopes in requirement.items()]
    return " and ".join(parts)


def _document_view(api: Api, doc: HttpDocument, module: str) -> dict[str, Any]:
    imports = _Imports()
    operations = [_operation_view(op, imports) for op in doc.operations]
    return {
        "api": api,
        "doc": doc,
        "module": module,
        "class_prefix": "".join(part[:1].upper() + part[1:] for part in module.split("_")),
        "operations": operations,
        "schemes": _plain(doc.security_schemes),
        **imports.view(),
    }


def render_http(api: Api, env: jinja2.Environment) -> dict[str, str]:
    """Relative path inside the package -> source, for every OpenAPI document with operations."""
    files: dict[str, str] = {}
    modules: dict[str, HttpDocument] = {}
    for doc in api.http:
        if not doc.operations:
            continue
        module = python_identifier(doc.service)
        if module in modules:
            raise ContractError(
                f"{modules[module].file} and {doc.file} are both the HTTP API of service {doc.service!r}; "
                "one OpenAPI document per service"
            )
        modules[module] = doc
        view = _document_view(api, doc, module)
        for kind, template in (
            ("endpoints", "endpoints.py.jinja"),
            ("clients", "client.py.jinja"),
            ("servers", "server.py.jinja"),
        ):
            files[f"{kind}/{module}.py"] = env.get_template(template).render(**view)
    if modules:
        for kind in ("endpoints", "clients", "servers"):
            files[f"{kind}/__init__.py"] = env.get_template("http_init.py.jinja").render(
                api=api, kind=kind, modules=sorted(modules)
            )
    return files
