"""HTTP operations of an OpenAPI 3.1 document.

Every `$ref` is followed wherever OpenAPI allows one (path items, parameters, request bodies, responses,
security schemes), across files. Bodies become models through the schema registry: a named schema keeps
its name, an inline object is named after what holds it (`<OperationId>Request`,
`<OperationId><Status>Response`, or the key of a shared `components.requestBodies` /
`components.responses` entry). Parameters become plain Python types (or enum models) and keep their
resolved JSON Schema, which the server runtime validates the raw strings against.

What the generated client and server could not honour is refused with the file and JSON pointer rather
than half-generated: cookie parameters, parameter serialisations other than `simple` and `form`, object
parameters, non-JSON request bodies, inline `oneOf`/`anyOf` bodies (they need a class name), callbacks,
webhooks, `2XX` ranges, security schemes a bearer-token client cannot satisfy, and required nullable
body members (the SDK omits `None` on the wire, which is right for optional members only).
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

from codegen.ir import (
    HttpBody,
    HttpDocument,
    HttpOperation,
    HttpParameter,
    HttpResponse,
    SecurityRequirement,
    TypeExpr,
)
from codegen.loader.location import Location
from codegen.parser.schemas import SchemaRegistry, UnsupportedConstructError, python_identifier

if TYPE_CHECKING:
    from codegen.loader.resolver import Resolver

__all__ = ["parse_openapi"]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_JSON_MEDIA = re.compile(r"^application/(json|[A-Za-z0-9.!#$&^_-]+\+json)\s*(;.*)?$", re.IGNORECASE)
_TEXT_MEDIA = re.compile(r"^text/[A-Za-z0-9.+-]+\s*(;.*)?$", re.IGNORECASE)
_STATUS = re.compile(r"^[1-5][0-9][0-9]$")
_ERROR_RANGE = re.compile(r"^[45]XX$")
_PATH_PARAM = re.compile(r"\{([^{}/]+)\}")
_OPERATION_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_COMPONENT = re.compile(r"^/components/(parameters|requestBodies|responses)/([^/]+)$")
# Names the generated methods use themselves: a parameter with one of these names gets a suffix.
_RESERVED = frozenset({"self", "body", "timeout"})
# Headers OpenAPI says a `parameters` entry must not describe (they are ignored, as the spec says).
_IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
_VALIDATION_KEYWORDS = (
    "type",
    "format",
    "enum",
    "const",
    "default",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
)
_STRING_FORMATS = {
    "uuid": TypeExpr("UUID", stdlib=("uuid.UUID",)),
    "date-time": TypeExpr("datetime", stdlib=("datetime.datetime",)),
    "date": TypeExpr("date", stdlib=("datetime.date",)),
    "decimal": TypeExpr("Decimal", stdlib=("decimal.Decimal",)),
}
_SCALARS = {
    "string": TypeExpr("str"),
    "integer": TypeExpr("int"),
    "number": TypeExpr("float"),
    "boolean": TypeExpr("bool"),
}
# Bearer-token schemes: the generated client sends `Authorization: Bearer <token>` for them.
_BEARER_SCHEMES = ("oauth2", "openIdConnect")


def _class_name(text: str) -> str:
    """`getOrder` -> `GetOrder`, `order-items` -> `OrderItems`."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", text) if part)


def _list_of(item: TypeExpr) -> TypeExpr:
    return TypeExpr(f"list[{item.source}]", item.models, item.stdlib)


class _Parser:
    def __init__(self, resolver: Resolver, file: str, registry: SchemaRegistry, service: str) -> None:
        self.resolver = resolver
        self.file = file
        self.registry = registry
        self.service = service
        self.module = python_identifier(service).replace("__", "_")
        self.document: dict[str, Any] = resolver.document(file)
        self.root = Location(file)

    def fail(self, message: str, at: Location) -> UnsupportedConstructError:
        return UnsupportedConstructError(message, file=at.file, pointer=at.pointer)

    def deref(self, node: Any, at: Location, what: str) -> tuple[dict[str, Any], Location]:
        target, target_at = self.resolver.deref(node, at)
        if not isinstance(target, dict):
            raise self.fail(f"{what} must be an object", target_at)
        return target, target_at

    # -- the document ---------------------------------------------------------------------------------

    def parse(self) -> HttpDocument:
        version = str(self.document.get("openapi", ""))
        if not version.startswith("3.1"):
            raise self.fail(
                f"OpenAPI {version or '?'} is not supported; use 3.1.x", self.root.child("openapi")
            )
        if self.document.get("webhooks"):
            raise self.fail("webhooks are not supported", self.root.child("webhooks"))
        schemes = self._security_schemes()
        default_security: tuple[SecurityRequirement, ...] = ()
        if "security" in self.document:
            default_security = self._security(self.document["security"], self.root.child("security"), schemes)
        operations: list[HttpOperation] = []
        paths = self.document.get("paths") or {}
        if not isinstance(paths, dict):
            raise self.fail("paths must be an object", self.root.child("paths"))
        for path, raw_item in paths.items():
            path_at = self.root.child("paths", path)
            if not str(path).startswith("/"):
                raise self.fail(f"path {path!r} must start with '/'", path_at)
            item, item_at = self.deref(raw_item, path_at, "a path item")
            for method in _METHODS:
                if method in item:
                    if not isinstance(item[method], dict):
                        raise self.fail("an operation must be an object", item_at.child(method))
                    operation = self._operation(
                        str(path),
                        item,
                        item_at.child(method),
                        schemes=schemes,
                        default_security=default_security,
                    )
                    operations.append(operation)
        self._check_unique(operations)
        info = self.document.get("info") or {}
        return HttpDocument(
            service=self.service,
            title=str(info.get("title", self.service)),
            version=str(info.get("version", "0.0.0")),
            file=self.file,
            operations=tuple(operations),
            security_schemes=schemes,
        )

    def _check_unique(self, operations: list[HttpOperation]) -> None:
        seen: dict[str, HttpOperation] = {}
        for op in operations:
            for key in (op.id, op.python_name):
                other = seen.get(key)
                if other is not None and other is not op:
                    raise self.fail(
                        f"operations {other.id!r} ({other.method} {other.path}) and {op.id!r} ({op.method} "
                        f"{op.path}) would both be the method {op.python_name}()",
                        self.root.child("paths", op.path, op.method.lower(), "operationId"),
                    )
                seen[key] = op

    # -- security -------------------------------------------------------------------------------------

    def _security_schemes(self) -> dict[str, dict[str, Any]]:
        at = self.root.child("components", "securitySchemes")
        raw = (self.document.get("components") or {}).get("securitySchemes") or {}
        schemes: dict[str, dict[str, Any]] = {}
        for name, node in raw.items():
            scheme, _ = self.deref(node, at.child(name), "a security scheme")
            schemes[str(name)] = {
                k: v for k, v in scheme.items() if k != "description" and not k.startswith("x-")
            }
        return schemes

    def _security(
        self, node: Any, at: Location, schemes: dict[str, dict[str, Any]]
    ) -> tuple[SecurityRequirement, ...]:
        if not isinstance(node, list):
            raise self.fail("security must be a list of requirement objects", at)
        requirements: list[SecurityRequirement] = []
        for i, requirement in enumerate(node):
            if not isinstance(requirement, dict):
                raise self.fail("a security requirement must be an object", at.child(i))
            parsed: SecurityRequirement = {}
            for name, scopes in requirement.items():
                scheme = schemes.get(str(name))
                if scheme is None:
                    raise self.fail(
                        f"security scheme {name!r} is not declared in components.securitySchemes",
                        at.child(i, name),
                    )
                kind = scheme.get("type")
                bearer = kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer"
                if not bearer and kind not in _BEARER_SCHEMES:
                    raise self.fail(
                        f"security scheme {name!r} ({kind} {scheme.get('scheme', '')}) is not supported: the "
                        "generated client sends bearer tokens only (http bearer, oauth2, openIdConnect)",
                        at.child(i, name),
                    )
                if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
                    raise self.fail(
                        "the scopes of a security requirement must be a list of strings", at.child(i, name)
                    )
                parsed[str(name)] = tuple(scopes)
            requirements.append(parsed)
        if all(not r for r in requirements):
            # `[]` and `[{}]` both say the operation is public.
            return ()
        return tuple(requirements)

    # -- operations -----------------------------------------------------------------------------------

    def _operation(
        self,
        path: str,
        item: dict[str, Any],
        at: Location,
        *,
        schemes: dict[str, dict[str, Any]],
        default_security: tuple[SecurityRequirement, ...],
    ) -> HttpOperation:
        """The operation at `at` (`.../paths/<path>/<method>`) of the path item `item`."""
        method = at.tokens[-1]
        node: dict[str, Any] = item[method]
        item_at = at.parent()
        if node.get("callbacks"):
            raise self.fail("callbacks are not supported", at.child("callbacks"))
        op_id = node.get("operationId")
        if not isinstance(op_id, str) or not _OPERATION_ID.match(op_id):
            raise self.fail(
                "an operationId that is an identifier is required: it names the client and server methods",
                at.child("operationId"),
            )
        parameters = self._parameters(path, (item, item_at), (node, at), op_id)
        body = None
        if "requestBody" in node:
            body = self._body(node["requestBody"], at.child("requestBody"), op_id)
        responses = self._responses(node.get("responses"), at.child("responses"), op_id)
        security = default_security
        if "security" in node:
            security = self._security(node["security"], at.child("security"), schemes)
        sla = node.get("x-a4co-sla-ms")
        if sla is not None and (isinstance(sla, bool) or not isinstance(sla, int) or sla <= 0):
            raise self.fail(
                "x-a4co-sla-ms must be a positive integer (milliseconds)", at.child("x-a4co-sla-ms")
            )
        tags = node.get("tags") or []
        return HttpOperation(
            id=op_id,
            python_name=python_identifier(op_id),
            method=method.upper(),
            path=path,
            summary=str(node.get("summary") or item.get("summary") or ""),
            tags=tuple(str(t) for t in tags),
            parameters=parameters,
            body=body,
            responses=responses,
            security=security,
            sla_ms=sla,
            deprecated=bool(node.get("deprecated", False)),
            extensions={k: v for k, v in node.items() if k.startswith("x-")},
        )

    # -- parameters -----------------------------------------------------------------------------------

    def _parameters(
        self,
        path: str,
        item: tuple[dict[str, Any], Location],
        operation: tuple[dict[str, Any], Location],
        op_id: str,
    ) -> tuple[HttpParameter, ...]:
        # Path-level parameters first; an operation's own parameter with the same name and location wins.
        collected: dict[tuple[str, str], HttpParameter] = {}
        at = operation[1]
        for owner, owner_at in (item, operation):
            raw = owner.get("parameters") or []
            if not isinstance(raw, list):
                raise self.fail("parameters must be a list", owner_at.child("parameters"))
            for i, param_node in enumerate(raw):
                parameter = self._parameter(param_node, owner_at.child("parameters", i), op_id)
                if parameter is not None:
                    key = (
                        parameter.location,
                        parameter.name.lower() if parameter.location == "header" else parameter.name,
                    )
                    collected[key] = parameter
        params = self._python_names(list(collected.values()))
        template = _PATH_PARAM.findall(path)
        declared = [p.name for p in params if p.location == "path"]
        for name in template:
            if name not in declared:
                raise self.fail(f"path parameter {{{name}}} of {path} is not declared in parameters", at)
        for name in declared:
            if name not in template:
                raise self.fail(f"path parameter {name!r} does not appear in the path {path}", at)
        # Required parameters first, each group in the contract's order: the order of the method signatures.
        return tuple(sorted(params, key=lambda p: not p.required))

    def _python_names(self, params: list[HttpParameter]) -> list[HttpParameter]:
        """Give each parameter a distinct Python name that does not clash with the method's own names."""
        counts: dict[str, int] = {}
        for p in params:
            counts[p.python_name] = counts.get(p.python_name, 0) + 1
        renamed: list[HttpParameter] = []
        for p in params:
            name = p.python_name
            if counts[name] > 1:
                name = f"{name}_{p.location}"
            if name in _RESERVED:
                name = f"{name}_param"
            renamed.append(p if name == p.python_name else dataclasses.replace(p, python_name=name))
        return renamed

    def _parameter(self, raw: Any, raw_at: Location, op_id: str) -> HttpParameter | None:
        node, at = self.deref(raw, raw_at, "a parameter")
        name, location = node.get("name"), node.get("in")
        if not isinstance(name, str) or not name:
            raise self.fail("a parameter needs a name", at)
        if location == "cookie":
            raise self.fail("cookie parameters are not supported", at.child("in"))
        if location not in ("path", "query", "header"):
            raise self.fail(f"parameter location {location!r} is not path, query or header", at.child("in"))
        if location == "header" and name.lower() in _IGNORED_HEADERS:
            return None
        if "content" in node:
            raise self.fail(
                "parameters described with `content` are not supported; use `schema`", at.child("content")
            )
        if "schema" not in node:
            raise self.fail("a parameter needs a schema", at)
        required = bool(node.get("required", False))
        if location == "path" and not required:
            raise self.fail("a path parameter must be required: true", at)
        style = node.get("style", "form" if location == "query" else "simple")
        if style != ("form" if location == "query" else "simple"):
            raise self.fail(
                f"parameter style {style!r} is not supported for {location} parameters "
                f"(only {'form' if location == 'query' else 'simple'})",
                at.child("style"),
            )
        component = _COMPONENT.match(at.pointer)
        hint = _class_name(component.group(2)) if component else _class_name(op_id) + _class_name(name)
        type_expr, schema = self._parameter_type(node["schema"], at.child("schema"), hint, location)
        default = schema.get("default")
        if required and default is not None:
            default = None
        return HttpParameter(
            name=name,
            python_name=python_identifier(name),
            location=location,
            required=required,
            type=type_expr,
            schema=schema,
            default=default,
            description=str(node.get("description") or ""),
            explode=bool(node.get("explode", style == "form")),
        )

    def _parameter_type(
        self, node: Any, at: Location, hint: str, location: str, *, item: bool = False
    ) -> tuple[TypeExpr, dict[str, Any]]:
        target, target_at = self.deref(node, at, "a parameter schema")
        schema = self._resolved(target, target_at)
        if "enum" in target:
            ref = self.registry.model_for(node, at, name_hint=hint, module=self.module)
            return TypeExpr(ref.qualified, (ref,)), schema
        for key in ("oneOf", "anyOf", "allOf", "not"):
            if key in target:
                raise self.fail(f"parameter schemas with {key} are not supported", target_at.child(key))
        kind = _single_type(target.get("type"))
        if kind == "array":
            if item or location == "path":
                raise self.fail(
                    "nested arrays and array path parameters are not supported", target_at.child("type")
                )
            if "items" not in target:
                raise self.fail("an array parameter needs items", target_at)
            inner, _ = self._parameter_type(
                target["items"], target_at.child("items"), hint, location, item=True
            )
            return _list_of(inner), schema
        if kind == "object" or "properties" in target:
            raise self.fail("object parameters are not supported", target_at)
        if kind is None:
            raise self.fail(
                "a parameter schema needs a type (string, integer, number, boolean or array)", target_at
            )
        return self._scalar(kind, target, target_at), schema

    def _scalar(self, kind: str, target: dict[str, Any], at: Location) -> TypeExpr:
        if kind == "string" and target.get("format") in _STRING_FORMATS:
            return _STRING_FORMATS[str(target["format"])]
        if kind not in _SCALARS:
            raise self.fail(f"type {kind!r} is not supported here", at.child("type"))
        return _SCALARS[kind]

    def _resolved(self, node: dict[str, Any], at: Location) -> dict[str, Any]:
        """The validation keywords of a parameter schema, `$ref`s followed (one level for `items`)."""
        out: dict[str, Any] = {}
        for key in _VALIDATION_KEYWORDS:
            if key not in node:
                continue
            value = node[key]
            if key == "items":
                item, item_at = self.deref(value, at.child("items"), "items")
                value = self._resolved(item, item_at)
            elif key == "type" and isinstance(value, list):
                value = _single_type(value)
            out[key] = value
        return out

    # -- bodies ---------------------------------------------------------------------------------------

    def _body(self, raw: Any, raw_at: Location, op_id: str) -> HttpBody:
        node, at = self.deref(raw, raw_at, "a request body")
        content = node.get("content")
        if not isinstance(content, dict) or not content:
            raise self.fail("a request body needs content", at)
        for media in content:
            if not _JSON_MEDIA.match(str(media)):
                raise self.fail(
                    f"request bodies of type {media!r} are not supported (only JSON)",
                    at.child("content", media),
                )
        chosen = "application/json" if "application/json" in content else str(next(iter(content)))
        media_node, media_at = self.deref(content[chosen], at.child("content", chosen), "a media type")
        if "schema" not in media_node:
            raise self.fail("a JSON request body needs a schema", media_at)
        component = _COMPONENT.match(at.pointer)
        hint = _class_name(component.group(2)) if component else _class_name(op_id)
        hint = hint if hint.endswith("Request") else hint + "Request"
        body_type = self._json_type(media_node["schema"], media_at.child("schema"), hint)
        return HttpBody(content_type=chosen, type=body_type, required=bool(node.get("required", False)))

    def _responses(self, raw: Any, at: Location, op_id: str) -> tuple[HttpResponse, ...]:
        if not isinstance(raw, dict) or not raw:
            raise self.fail("an operation needs responses", at)
        responses: list[HttpResponse] = []
        for key, raw_response in raw.items():
            status = str(key)
            status_at = at.child(status)
            if not (_STATUS.match(status) or _ERROR_RANGE.match(status) or status == "default"):
                raise self.fail(
                    f"response status {status!r} is not supported (a status code, 4XX, 5XX or default)",
                    status_at,
                )
            node, node_at = self.deref(raw_response, status_at, "a response")
            component = _COMPONENT.match(node_at.pointer)
            hint = (
                _class_name(component.group(2)) if component else f"{_class_name(op_id)}{_class_name(status)}"
            )
            hint = hint if hint.endswith("Response") else hint + "Response"
            content_type, body_type = self._response_content(node, node_at, hint)
            headers = tuple(str(h) for h in (node.get("headers") or {}) if str(h).lower() != "content-type")
            responses.append(
                HttpResponse(
                    status=status,
                    description=str(node.get("description") or ""),
                    content_type=content_type,
                    type=body_type,
                    headers=headers,
                )
            )
        if not any(r.status.startswith("2") for r in responses):
            raise self.fail("an operation needs a documented 2xx response", at)
        return tuple(responses)

    def _response_content(
        self, node: dict[str, Any], at: Location, hint: str
    ) -> tuple[str | None, TypeExpr | None]:
        content = node.get("content") or {}
        if not isinstance(content, dict):
            raise self.fail("content must be an object", at.child("content"))
        if not content:
            return None, None
        media_types = [str(m) for m in content]
        json_types = [m for m in media_types if _JSON_MEDIA.match(m)]
        text_types = [m for m in media_types if _TEXT_MEDIA.match(m)]
        if json_types:
            chosen = "application/json" if "application/json" in json_types else json_types[0]
            media_node, media_at = self.deref(content[chosen], at.child("content", chosen), "a media type")
            if "schema" not in media_node:
                raise self.fail("a JSON response needs a schema", media_at)
            return chosen, self._json_type(media_node["schema"], media_at.child("schema"), hint)
        if text_types:
            chosen = text_types[0]
            media_node, media_at = self.deref(content[chosen], at.child("content", chosen), "a media type")
            if "schema" in media_node:
                schema, schema_at = self.deref(media_node["schema"], media_at.child("schema"), "a schema")
                if _single_type(schema.get("type")) not in (None, "string"):
                    raise self.fail("a text response's schema must be a string", schema_at)
            return chosen, TypeExpr("str")
        raise self.fail(
            f"responses of type {media_types[0]!r} are not supported (JSON or text/*)",
            at.child("content", media_types[0]),
        )

    def _json_type(self, node: Any, at: Location, hint: str) -> TypeExpr:
        target, target_at = self.deref(node, at, "a schema")
        named = self.registry.ref_at(target_at)
        if named is not None:
            self._check_nullable(target, target_at, set())
            return TypeExpr(named.qualified, (named,))
        for key in ("oneOf", "anyOf"):
            if key in target:
                raise self.fail(
                    f"an inline {key} body has no class name: give the schema a name in components.schemas "
                    "(or a schema file) and $ref it",
                    target_at.child(key),
                )
        if "not" in target:
            raise self.fail("body schemas with not are not supported", target_at.child("not"))
        kind = _single_type(target.get("type"))
        if kind == "object" or "properties" in target or "allOf" in target or "enum" in target:
            self._check_nullable(target, target_at, set())
            ref = self.registry.model_for(node, at, name_hint=hint, module=self.module)
            return TypeExpr(ref.qualified, (ref,))
        if kind == "array":
            if "items" not in target:
                raise self.fail("an array body needs items", target_at)
            return _list_of(
                self._json_type(target["items"], target_at.child("items"), hint.removesuffix("s") + "Item")
            )
        if kind is None:
            raise self.fail("a JSON body needs a schema with a type", target_at)
        return self._scalar(kind, target, target_at)

    def _check_nullable(self, node: dict[str, Any], at: Location, seen: set[Location]) -> None:
        """Refuse required members that may be null: the SDK writes bodies without `None` members."""
        if at in seen:
            return
        seen.add(at)
        required, properties = self._members(node, at)
        for name in sorted(required & properties.keys()):
            prop, prop_at = self.deref(*properties[name], "a property schema")
            if _nullable(prop):
                raise self.fail(
                    f"required member {name!r} may be null; the SDK omits None members on the wire, so a "
                    "required nullable member is not supported in an HTTP body (make it optional instead)",
                    prop_at,
                )
        children = list(properties.values())
        for key in ("oneOf", "anyOf"):
            children += [(b, at.child(key, i)) for i, b in enumerate(node.get(key) or [])]
        children += [
            (node[k], at.child(k)) for k in ("items", "additionalProperties") if isinstance(node.get(k), dict)
        ]
        for child, child_at in children:
            target, target_at = self.resolver.deref(child, child_at)
            if isinstance(target, dict):
                self._check_nullable(target, target_at, seen)

    def _members(
        self, node: dict[str, Any], at: Location
    ) -> tuple[set[str], dict[str, tuple[Any, Location]]]:
        """Required names and properties of an object schema, its `allOf` branches included."""
        required: set[str] = set()
        properties: dict[str, tuple[Any, Location]] = {}
        branches = [(node, at)]
        branches += [
            self.deref(b, at.child("allOf", i), "an allOf branch")
            for i, b in enumerate(node.get("allOf") or [])
        ]
        for branch, branch_at in branches:
            required |= set(branch.get("required") or [])
            for name, prop in (branch.get("properties") or {}).items():
                properties[name] = (prop, branch_at.child("properties", name))
        return required, properties


def _single_type(value: Any) -> str | None:
    """`string` or `[string, "null"]` -> `string`; several non-null types -> `mixed`."""
    if isinstance(value, list):
        kinds = [str(v) for v in value if v != "null"]
        if len(kinds) > 1:
            return "mixed"
        return kinds[0] if kinds else None
    return str(value) if value is not None else None


def _nullable(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    if "const" in schema and schema["const"] is None:
        return True
    if isinstance(schema.get("enum"), list) and None in schema["enum"]:
        return True
    return any(
        isinstance(b, dict) and _nullable(b) for key in ("oneOf", "anyOf") for b in schema.get(key) or []
    )


def parse_openapi(resolver: Resolver, file: str, registry: SchemaRegistry, *, service: str) -> HttpDocument:
    """The operations of the OpenAPI 3.1 document `file`, whose models go in the module of `service`."""
    return _Parser(resolver, file, registry, service).parse()
