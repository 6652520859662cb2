"""What the generated server interfaces run on: Starlette routes built from the contract's operations.

A service implements the generated `<Service>Api` (one async method per operation, typed parameters) and
serves it with the generated `app()`. For each request, this module:

1. finds the operation (404 problem+json for an unknown path, 405 with `Allow` for a wrong method);
2. echoes `X-Request-Id` (or makes one) on the response, and runs the handler inside `use_context` and
   `use_request_id`, so that the events it publishes and the HTTP calls it makes carry the same ids;
3. asks the injected `Authenticator` about secured operations (it returns a principal, or raises
   `HttpProblem(401/403)`); public operations skip it;
4. parses path, query and header parameters against their schema (400 with `errors[].parameter`) and the
   JSON body, tolerantly (400 when unparsable or not JSON, 422 with `errors[].pointer` per violation);
5. calls the handler and serialises what it returns, by alias and without `None` members, with the
   documented success status; `HttpResponse` picks another documented status or adds headers, and
   `HttpProblem` answers problem+json. Any other exception is logged and answered 500 without details.

Everything that does not depend on the request (parsers, validators, status tables) is built once, when
the routes are; per request the work is dictionary lookups, the parsers and one pydantic validation.
"""

import abc
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar, Protocol, Self
from urllib.parse import quote_from_bytes

import orjson
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Lifespan, Message, Receive, Scope, Send

from .context import MessageContext, use_context
from .errors import SdkError
from .http_params import ParameterParser
from .http_specs import (
    EndpointSpec,
    ResponseSpec,
    SecurityRequirement,
    use_request_id,
)

__all__ = [
    "OPERATION_SCOPE_KEY",
    "Authenticator",
    "Handler",
    "HttpProblem",
    "HttpResponse",
    "MissingOperations",
    "RequestInfo",
    "ServerInterface",
    "ServerSetupError",
    "build_app",
    "build_routes",
    "current_request",
    "problem_instance",
]

OPERATION_SCOPE_KEY = "a4co.operation"
"""Where a request's scope says which contract operation served it (the operationId)."""

_URI_SAFE = "/%:@!$&'()*+,;=-._~"
_MAX_INSTANCE = 500
_CUT_ESCAPE = re.compile(r"%[0-9A-Fa-f]?$")


def problem_instance(scope: Scope) -> str:
    """The request's path and query as a problem's `instance`: a URI reference (RFC 3986).

    Built from the raw bytes and escaped, so non-ASCII or control characters stay a valid reference,
    and cut to its length limit only between escapes.
    """
    raw: bytes = scope.get("raw_path") or scope.get("path", "").encode()
    path = quote_from_bytes(raw, safe=_URI_SAFE)
    query = quote_from_bytes(scope.get("query_string", b""), safe=_URI_SAFE + "?")
    instance = path + (f"?{query}" if query else "")
    return _CUT_ESCAPE.sub("", instance[:_MAX_INSTANCE])


logger = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[Any]]

_REQUEST_ID_HEADER = "X-Request-Id"
_SCOPE_KEY = "sdk.request_id"
# Echoed only when it is a plain token; anything else (too long, spaces, control characters) is replaced.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_JSON_MEDIA = re.compile(r"^application/(json|[a-z0-9.!#$&^_-]+\+json)\s*(;.*)?$", re.IGNORECASE)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MAX_ERRORS = 100
# Status of a request whose client disconnected first (nginx's convention): for logs, never received.
_CLIENT_CLOSED_REQUEST = 499
_MAX_MESSAGE = 500


# -- what handlers and authenticators use -------------------------------------------------------------


class HttpProblem(Exception):  # noqa: N818 - it is an answer, like HTTPException, not a failure of ours
    """Answer the request with an RFC 9457 problem+json body instead of the success response."""

    def __init__(
        self,
        status: int,
        title: str | None = None,
        detail: str | None = None,
        type: str | None = None,  # noqa: A002 - the problem+json member's name
        *,
        headers: Mapping[str, str] | None = None,
        errors: Sequence[Mapping[str, Any]] = (),
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or title or _phrase(status))
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type
        self.headers = dict(headers or {})
        self.errors = list(errors)
        self.extensions = dict(extensions or {})


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A handler's answer with another documented status (`202`, `503`...) or extra headers (`Location`)."""

    body: Any = None
    status: int = 200
    headers: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """The request a handler is answering; `principal` is what the authenticator returned (None if public)."""

    request: Request
    endpoint: EndpointSpec[Any]
    request_id: str
    principal: Any


_current: ContextVar[RequestInfo | None] = ContextVar("http_request_info", default=None)


def current_request() -> RequestInfo:
    """The request being answered; only inside a handler called by these routes."""
    info = _current.get()
    if info is None:
        raise RuntimeError("current_request() is only available while a handler answers a request")
    return info


class Authenticator(Protocol):
    """Decides whether a request may call a secured operation.

    `requirements` are the operation's alternatives (any one suffices), each mapping a security scheme
    of the contract to its scopes (roles). An empty requirement among them means anonymous calls are
    allowed too. Return the principal handlers will see in `current_request().principal`; raise
    `HttpProblem(401, headers={"WWW-Authenticate": ...})` or `HttpProblem(403)` to refuse.
    `endpoint.extensions` holds the operation's `x-*` members (for example, who may call it).
    """

    async def authenticate(
        self, request: Request, requirements: Sequence[SecurityRequirement], endpoint: EndpointSpec[Any]
    ) -> Any: ...


class ServerSetupError(SdkError):
    """The routes cannot be built: a handler or the authenticator is missing."""


class MissingOperations(ServerSetupError):  # noqa: N818 - names the condition, like MissingHandlers
    """An implementation of a server interface left operations of its contract without a method."""

    def __init__(self, service: str, operations: list[str]) -> None:
        who = f"service {service!r}" if service else "the implementation"
        super().__init__(
            f"{who} does not implement these operations of its contract: " + ", ".join(operations)
        )
        self.service = service
        self.operations = operations


class ServerInterface(abc.ABC):  # noqa: B024 - the generated subclasses declare the abstract methods
    """Base of the generated `<Service>Api` classes.

    Type checkers flag an implementation that misses an operation (or misspells its method) where it is
    instantiated; at run time, instantiating it raises `MissingOperations` naming each one.
    """

    service: ClassVar[str] = ""
    endpoints: ClassVar[Sequence[EndpointSpec[Any]]] = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:  # noqa: ARG004 - __init__ takes them
        missing = set(getattr(cls, "__abstractmethods__", ()))
        if missing:
            described = [
                f"{e.id} ({e.method} {e.path}) -> {e.python_name}()"
                for e in cls.endpoints
                if e.python_name in missing
            ]
            described += sorted(m for m in missing if m not in {e.python_name for e in cls.endpoints})
            raise MissingOperations(cls.service or cls.__name__, described)
        return super().__new__(cls)


def _read(parameter: ParameterParser, request: Request) -> str | list[str] | None:
    """The raw value(s) of a parameter in the request; None when absent."""
    if parameter.location == "path":
        value: str | None = request.path_params.get(parameter.key)
        return value
    if parameter.location == "header":
        return request.headers.get(parameter.name)
    if parameter.is_list and parameter.explode:
        return request.query_params.getlist(parameter.name) or None
    return request.query_params.get(parameter.name)


# -- problems -----------------------------------------------------------------------------------------


def request_id_of(scope: Scope) -> str:
    """The request's id: its `X-Request-Id` if that is a plain token, else a new UUID (kept in the scope)."""
    request_id: str | None = scope.get(_SCOPE_KEY)
    if request_id is None:
        for name, value in scope.get("headers") or ():
            if name == b"x-request-id":
                text = value.decode("latin-1")
                request_id = text if _REQUEST_ID.match(text) else None
                break
        request_id = request_id or str(uuid.uuid4())
        scope[_SCOPE_KEY] = request_id
    return request_id


class _Problems:
    """Writes problem+json answers; `types` gives the `type` URI of each status (default `about:blank`)."""

    def __init__(self, types: Mapping[int, str] | None) -> None:
        self.types = dict(types or {})

    def response(self, request: Request, problem: HttpProblem) -> Response:
        request_id = request_id_of(request.scope)
        body: dict[str, Any] = {
            "type": problem.type or self.types.get(problem.status, "about:blank"),
            "title": problem.title or _phrase(problem.status),
            "status": problem.status,
        }
        if problem.detail:
            body["detail"] = problem.detail[:2000]
        body["instance"] = problem_instance(request.scope)
        body["requestId"] = request_id
        if problem.errors:
            body["errors"] = [
                {k: (v[:_MAX_MESSAGE] if isinstance(v, str) else v) for k, v in e.items()}
                for e in problem.errors[:_MAX_ERRORS]
            ]
        body.update({k: v for k, v in problem.extensions.items() if k not in body})
        headers = {**problem.headers, _REQUEST_ID_HEADER: request_id}
        return Response(orjson.dumps(body), problem.status, headers, media_type="application/problem+json")

    async def http_exception(self, request: Request, exc: Exception) -> Response:
        """Starlette's own 404 and 405 (wrong method, with `Allow`), as problems."""
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
        detail: str | None = None
        if status == HTTPStatus.NOT_FOUND:
            detail = f"there is no operation at {request.url.path}"
        elif status == HTTPStatus.METHOD_NOT_ALLOWED:
            detail = (
                f"{request.method} is not allowed on {request.url.path}; allowed: {headers.get('Allow', '')}"
            )
        else:
            detail = exc.detail if isinstance(exc, HTTPException) else None
        return self.response(request, HttpProblem(status, detail=detail, headers=headers))

    async def server_error(self, request: Request, exc: Exception) -> Response:
        logger.error("unhandled error answering %s %s", request.method, request.url.path, exc_info=exc)
        return self.response(request, HttpProblem(500))


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _pointers(raw: bytes, exc: ValidationError) -> list[dict[str, str]]:
    """`errors[]` with a JSON Pointer into the body for each violation pydantic found."""
    try:
        document: Any = orjson.loads(raw)
    except orjson.JSONDecodeError:
        document = None
    errors = []
    for error in exc.errors(include_url=False, include_context=False, include_input=False):
        node, tokens = document, []
        loc = error["loc"]
        for i, part in enumerate(loc):
            # pydantic adds the names of union members and validators to `loc`; only keys and indexes
            # that exist in the document (or the missing member, last) belong in the pointer.
            in_dict = isinstance(node, dict) and isinstance(part, str) and part in node
            in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
            if in_dict or in_list:
                node = node[part]
            elif i == len(loc) - 1 and error["type"] == "missing":
                node = None
            else:
                continue
            tokens.append(str(part).replace("~", "~0").replace("/", "~1"))
        message = "is required" if error["type"] == "missing" else error["msg"]
        errors.append({"pointer": "".join("/" + t for t in tokens), "message": message})
    return errors


# -- operations ---------------------------------------------------------------------------------------


class _Operation:
    """One operation, bound to its handler: everything it needs per request, prepared once."""

    def __init__(
        self,
        endpoint: EndpointSpec[Any],
        handler: Handler,
        authenticator: Authenticator | None,
        problems: _Problems,
        path_keys: Mapping[str, str],
    ) -> None:
        self.endpoint = endpoint
        self.handler = handler
        self.authenticator = authenticator
        self.problems = problems
        try:
            self.parameters = [ParameterParser(p, path_keys.get(p.name, p.name)) for p in endpoint.parameters]
        except (TypeError, ValueError) as exc:
            raise ServerSetupError(f"{endpoint.id}: {exc}") from None
        self.body = endpoint.body
        self.body_adapter = TypeAdapter(endpoint.body.annotation) if endpoint.body is not None else None
        self.documented = {r.status: r for r in endpoint.responses}
        successes = endpoint.successes
        self.default_status = int(successes[0].status) if successes else 200
        # A handler may return any documented 2xx body directly; its type picks the status.
        self.status_of: dict[type, int] = {}
        for response in reversed(successes):
            if isinstance(response.annotation, type):
                self.status_of[response.annotation] = int(response.status)
        self.encoders: dict[str, TypeAdapter[Any]] = {
            r.status: TypeAdapter(r.annotation)
            for r in endpoint.responses
            if r.annotation is not None
            and not (isinstance(r.annotation, type) and issubclass(r.annotation, BaseModel | str))
        }
        self.warned: set[int] = set()

    async def __call__(self, request: Request) -> Response:
        request_id = request_id_of(request.scope)
        context = MessageContext(
            correlation_id=_correlation_id(request_id),
            traceparent=request.headers.get("traceparent"),
            tracestate=request.headers.get("tracestate"),
        )
        with use_context(context), use_request_id(request_id):
            try:
                return await self._answer(request, request_id)
            except HttpProblem as problem:
                return self.problems.response(request, problem)
            except ClientDisconnect:
                # The caller gave up (its time budget ran out) while sending the body: nobody is left to
                # answer, and it is not this service failing.
                logger.info(
                    "%s (%s %s): the client went away", self.endpoint.id, request.method, request.url.path
                )
                return Response(status_code=_CLIENT_CLOSED_REQUEST)
            except Exception:
                logger.exception("%s (%s %s) failed", self.endpoint.id, request.method, request.url.path)
                return self.problems.response(request, HttpProblem(500))

    async def _answer(self, request: Request, request_id: str) -> Response:
        principal = None
        if self.endpoint.security:
            if self.authenticator is None:  # pragma: no cover - build_routes refuses this
                raise HttpProblem(500)
            principal = await self.authenticator.authenticate(request, self.endpoint.security, self.endpoint)
        arguments = self._arguments(request)
        if self.body is not None:
            arguments["body"] = await self._body(request)
        token = _current.set(RequestInfo(request, self.endpoint, request_id, principal))
        try:
            result = await self.handler(**arguments)
        finally:
            _current.reset(token)
        return self._respond(result, request_id)

    def _arguments(self, request: Request) -> dict[str, Any]:
        arguments: dict[str, Any] = {}
        errors: list[dict[str, str]] = []
        for parameter in self.parameters:
            raw = _read(parameter, request)
            if raw is None:
                if parameter.required:
                    errors.append({"parameter": parameter.name, "message": "is required"})
                arguments[parameter.python_name] = parameter.default
                continue
            try:
                arguments[parameter.python_name] = parameter.parse(raw)
            except ValueError as exc:
                errors.append({"parameter": parameter.name, "message": str(exc)})
        if errors:
            names = ", ".join(e["parameter"] for e in errors)
            raise HttpProblem(400, detail=f"invalid parameters: {names}", errors=errors)
        return arguments

    async def _body(self, request: Request) -> Any:
        assert self.body is not None
        assert self.body_adapter is not None
        raw = await request.body()
        if not raw:
            if self.body.required:
                raise HttpProblem(
                    400,
                    detail="the request needs a JSON body",
                    errors=[{"pointer": "", "message": "is required"}],
                )
            return None
        media = request.headers.get("content-type", "")
        if not _JSON_MEDIA.match(media):
            raise HttpProblem(
                400,
                detail=f"the body must be {self.body.content_type}, not {media or 'untyped'}",
                errors=[{"pointer": "", "message": f"Content-Type must be {self.body.content_type}"}],
            )
        try:
            return self.body_adapter.validate_json(raw, extra="ignore")
        except ValidationError as exc:
            if any(e["type"] == "json_invalid" for e in exc.errors(include_url=False)):
                message = exc.errors(include_url=False)[0]["msg"]
                raise HttpProblem(
                    400, detail="the body is not valid JSON", errors=[{"pointer": "", "message": message}]
                ) from None
            errors = _pointers(raw, exc)
            count = len(errors)
            raise HttpProblem(
                422,
                detail=f"the request body has {count} invalid member{'s' if count != 1 else ''}",
                errors=errors,
            ) from None

    def _respond(self, result: Any, request_id: str) -> Response:
        headers = {_REQUEST_ID_HEADER: request_id}
        if isinstance(result, HttpResponse):
            status, body = result.status, result.body
            headers = {**(result.headers or {}), **headers}
        else:
            status, body = self._status_for(result), result
        documented = self.endpoint.response_for(status)
        if documented is None and status not in self.warned:
            self.warned.add(status)
            logger.warning("%s answered %s, which its contract does not document", self.endpoint.id, status)
        content, media = self._encode(body, documented)
        return Response(content, status, headers, media_type=media)

    def _status_for(self, result: Any) -> int:
        """The documented 2xx whose body type `result` is; the first 2xx for anything else."""
        status = self.status_of.get(type(result))
        if status is not None:
            return status
        for annotation, candidate in self.status_of.items():
            if isinstance(annotation, type) and isinstance(result, annotation):
                return candidate
        return self.default_status

    def _encode(self, body: Any, documented: ResponseSpec | None) -> tuple[bytes, str | None]:
        declared = documented.content_type if documented is not None else None
        expected = documented.annotation if documented is not None else None
        if isinstance(expected, type) and issubclass(expected, BaseModel) and not isinstance(body, expected):
            status = documented.status if documented is not None else "?"
            raise TypeError(
                f"{self.endpoint.python_name}() answered {type(body).__name__} with status {status}; "
                f"the contract documents {expected.__name__}"
            )
        if body is None:
            return b"", None
        if isinstance(body, BaseModel):
            content = body.__pydantic_serializer__.to_json(body, by_alias=True, exclude_none=True)
            return content, declared or "application/json"
        if isinstance(body, str):
            return body.encode(), declared or "text/plain; charset=utf-8"
        if isinstance(body, bytes):
            return body, declared or "application/octet-stream"
        encoder = self.encoders.get(documented.status) if documented is not None else None
        if encoder is not None:
            return encoder.dump_json(body, by_alias=True, exclude_none=True), declared or "application/json"
        return orjson.dumps(body), declared or "application/json"


def _correlation_id(request_id: str) -> uuid.UUID:
    """The flow's correlation id: the request id when it is a UUID, else a new one."""
    try:
        return uuid.UUID(request_id)
    except ValueError:
        return uuid.uuid4()


class _PathEndpoint:
    """Every operation of one path; Starlette answers 405 (with `Allow`) for the other methods."""

    def __init__(self, operations: Mapping[str, _Operation]) -> None:
        self.operations = dict(operations)
        if "GET" in self.operations and "HEAD" not in self.operations:
            self.operations["HEAD"] = self.operations["GET"]

    async def dispatch(self, request: Request) -> Response:
        operation = self.operations[request.method]
        # For middleware that labels requests by operation (metrics, access logs).
        request.scope[OPERATION_SCOPE_KEY] = operation.endpoint.id
        return await operation(request)


def _starlette_path(path: str) -> tuple[str, dict[str, str]]:
    """The contract's path as a Starlette route path, and wire name -> Starlette parameter name."""
    keys: dict[str, str] = {}

    def rename(match: re.Match[str]) -> str:
        name = match.group(1)
        key = name if _IDENTIFIER.match(name) else f"p{len(keys)}"
        keys[name] = key
        return "{" + key + "}"

    return re.sub(r"\{([^{}/]+)\}", rename, path), keys


def build_routes(
    endpoints: Sequence[EndpointSpec[Any]],
    handlers: Mapping[str, Handler],
    *,
    authenticator: Authenticator | None = None,
    problem_types: Mapping[int, str] | None = None,
) -> list[Route]:
    """One Starlette route per path of the contract; `handlers` maps each operationId to its method."""
    missing = [f"{e.id} ({e.method} {e.path})" for e in endpoints if e.id not in handlers]
    if missing:
        raise MissingOperations("", missing)
    secured = [e.id for e in endpoints if e.security]
    if secured and authenticator is None:
        raise ServerSetupError(
            "these operations are secured by the contract and need an Authenticator: " + ", ".join(secured)
        )
    problems = _Problems(problem_types)
    by_path: dict[str, dict[str, _Operation]] = {}
    route_paths: dict[str, str] = {}
    for endpoint in endpoints:
        route_path, keys = _starlette_path(endpoint.path)
        route_paths[endpoint.path] = route_path
        operation = _Operation(endpoint, handlers[endpoint.id], authenticator, problems, keys)
        by_path.setdefault(endpoint.path, {})[endpoint.method.upper()] = operation
    # Literal paths before templated ones, so that `/orders/search` is not taken for `/orders/{id}`.
    ordered = sorted(by_path, key=lambda p: p.count("{"))
    return [
        Route(route_paths[path], _PathEndpoint(by_path[path]).dispatch, methods=list(by_path[path]))
        for path in ordered
    ]


class _RequestIdMiddleware:
    """Adds `X-Request-Id` to every response that lacks it (Starlette's own 404/405/500 included)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope).encode("latin-1")

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                if not any(name.lower() == b"x-request-id" for name, _ in headers):
                    headers.append((b"x-request-id", request_id))
                    message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)


def build_app(
    routes: Sequence[Route],
    *,
    problem_types: Mapping[int, str] | None = None,
    middleware: Sequence[Middleware] = (),
    lifespan: Lifespan[Starlette] | None = None,
) -> Starlette:
    """A Starlette application serving `routes`, with problem+json for 404, 405 and unexpected errors."""
    problems = _Problems(problem_types)
    return Starlette(
        routes=list(routes),
        middleware=[Middleware(_RequestIdMiddleware), *middleware],
        exception_handlers={HTTPException: problems.http_exception, Exception: problems.server_error},
        lifespan=lifespan,
    )
