"""Base of the generated HTTP clients: one `httpx.AsyncClient`, the contract's serialisation, typed errors.

A generated client (`<package>.clients.<service>`) has one method per operation that hands the call's
`EndpointSpec` and arguments to `ApiClient._call`. Here they become a request: path parameters
percent-encoded, query arrays repeated or comma-joined as the contract says, the body serialised by
alias without `None` members, `Authorization: Bearer` from an async token provider when the operation is
secured, and `X-Request-Id` / `traceparent` from the flow being served (`use_context`, or the HTTP request
the server runtime is answering). The answer is validated tolerantly (unknown fields ignored); any other
status becomes the exception of `http_errors`, carrying the problem+json body.

Several clients may share one `httpx.AsyncClient` (pass `http=`); a client closes only the one it made.
"""

import logging
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar, cast
from urllib.parse import quote

import httpx
import orjson
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError

from .context import child_traceparent, current_context
from .errors import ContractViolation
from .http_errors import TransportError, TransportTimeout, UnexpectedResponse, error_for_status
from .http_specs import EndpointSpec, ParameterSpec, ResponseSpec, current_request_id, wire_text

__all__ = ["ApiClient", "TokenProvider"]

R = TypeVar("R")

TokenProvider = Callable[[], Awaitable[str | None]]
"""Returns the bearer token to send (called for every secured call, so it can refresh); None sends none."""

logger = logging.getLogger(__name__)

_REQUEST_ID = "X-Request-Id"


class _Plan:
    """What `_call` needs of one endpoint, computed on its first call."""

    __slots__ = ("accept", "body_encoder", "decoders", "endpoint", "path_parts")

    def __init__(self, endpoint: EndpointSpec[Any]) -> None:
        self.endpoint = endpoint
        # The path template as literal text and parameter names, alternating: "/a/", "id", "/b".
        self.path_parts = endpoint.path.replace("}", "{").split("{")
        self.decoders: dict[str, TypeAdapter[Any]] = {}
        body = endpoint.body.annotation if endpoint.body is not None else None
        is_model = isinstance(body, type) and issubclass(body, BaseModel)
        self.body_encoder = TypeAdapter(body) if body is not None and not is_model else None
        media: list[str] = []
        for response in endpoint.responses:
            if response.annotation is not None and response.annotation is not str:
                self.decoders[response.status] = TypeAdapter(response.annotation)
            if response.content_type and response.content_type not in media:
                media.append(response.content_type)
        self.accept = ", ".join(media) or "*/*"


_plans: dict[int, _Plan] = {}


def _plan(endpoint: EndpointSpec[Any]) -> _Plan:
    plan = _plans.get(id(endpoint))
    if plan is None or plan.endpoint is not endpoint:
        plan = _plans[id(endpoint)] = _Plan(endpoint)
    return plan


class ApiClient:
    """Calls one service's operations; subclasses add one typed method per operation."""

    def __init__(
        self,
        base_url: str,
        *,
        http: httpx.AsyncClient | None = None,
        token: TokenProvider | None = None,
        timeout: float = 10.0,
        connect_timeout: float = 2.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """`timeout` bounds reading, writing and waiting for a connection; `connect_timeout` connecting.

        With `http`, the client uses (and never closes) that `httpx.AsyncClient`; its own base URL and
        headers are ignored in favour of `base_url` and `headers`.
        """
        self.base_url = base_url.rstrip("/")
        self._owns_http = http is None
        self._http = http if http is not None else httpx.AsyncClient()
        self._token = token
        self._timeout = httpx.Timeout(timeout, connect=connect_timeout)
        self._headers = dict(headers or {})

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the `httpx.AsyncClient` if this client created it."""
        if self._owns_http:
            await self._http.aclose()

    async def _call(
        self,
        endpoint: EndpointSpec[R],
        arguments: Mapping[str, Any],
        body: Any = None,
        *,
        timeout: float | httpx.Timeout | None = None,  # noqa: ASYNC109 - httpx's timeouts, per phase
    ) -> R:
        """Send one call; `arguments` maps each parameter's wire name to its value (None: not sent)."""
        plan = _plan(endpoint)
        headers = {"Accept": plan.accept, **self._headers}
        query: list[tuple[str, str | int | float | bool | None]] = []
        path_values: dict[str, str] = {}
        for spec in endpoint.parameters:
            value = arguments.get(spec.name)
            if value is None:
                continue
            self._place(spec, value, path_values, query, headers)
        content = None
        if body is not None:
            try:
                content = self._encode(plan, body)
            except PydanticSerializationError as exc:
                raise ContractViolation(f"{endpoint.id}: the body cannot be written as JSON: {exc}") from None
            headers["Content-Type"] = endpoint.body.content_type if endpoint.body else "application/json"
        if endpoint.security and self._token is not None:
            token = await self._token()
            if token:
                headers["Authorization"] = f"Bearer {token}"
        self._propagate(headers)
        parts = plan.path_parts
        url = self.base_url + "".join(
            part if i % 2 == 0 else path_values[part] for i, part in enumerate(parts)
        )
        try:
            response = await self._http.request(
                endpoint.method,
                url,
                params=query,
                headers=headers,
                content=content,
                timeout=self._timeout if timeout is None else timeout,
            )
        except httpx.TimeoutException as exc:
            message = f"{endpoint.id}: {endpoint.method} {url} timed out ({type(exc).__name__})"
            raise TransportTimeout(message, operation=endpoint.id) from exc
        except httpx.TransportError as exc:
            raise TransportError(
                f"{endpoint.id}: {endpoint.method} {url} failed: {exc}", operation=endpoint.id
            ) from exc
        # The spec's type parameter is the success type the generator wrote; the decoder produced it.
        return cast("R", self._result(plan, response))

    @staticmethod
    def _place(
        spec: ParameterSpec,
        value: Any,
        path_values: dict[str, str],
        query: list[tuple[str, str | int | float | bool | None]],
        headers: dict[str, str],
    ) -> None:
        many = isinstance(value, list | tuple)
        if spec.location == "path":
            path_values[spec.name] = quote(wire_text(value), safe="")
        elif spec.location == "header":
            headers[spec.name] = ",".join(wire_text(v) for v in value) if many else wire_text(value)
        elif many and spec.explode:
            query.extend((spec.name, wire_text(v)) for v in value)
        else:
            query.append((spec.name, ",".join(wire_text(v) for v in value) if many else wire_text(value)))

    @staticmethod
    def _encode(plan: _Plan, body: Any) -> bytes:
        """JSON by alias; `None` members are left out, as the contract's optional members are not nullable."""
        if isinstance(body, BaseModel):
            return body.__pydantic_serializer__.to_json(body, by_alias=True, exclude_none=True)
        if plan.body_encoder is not None:
            return plan.body_encoder.dump_json(body, by_alias=True, exclude_none=True)
        return orjson.dumps(body)

    @staticmethod
    def _propagate(headers: dict[str, str]) -> None:
        """`X-Request-Id` and `traceparent` of the flow this call belongs to, unless given explicitly."""
        context = current_context()
        if _REQUEST_ID not in headers:
            request_id = current_request_id() or (
                str(context.correlation_id) if context is not None else None
            )
            if request_id is not None:
                headers[_REQUEST_ID] = request_id
        if context is not None:
            headers["traceparent"] = child_traceparent(context.traceparent)
            if context.tracestate:
                headers["tracestate"] = context.tracestate

    @staticmethod
    def _result(plan: _Plan, response: httpx.Response) -> Any:
        endpoint, status = plan.endpoint, response.status_code
        documented = endpoint.response_for(status)
        if 200 <= status < 300:
            if documented is None or not documented.status.startswith("2"):
                raise _unexpected(endpoint, response, f"status {status} is not a documented success")
            return _decode(plan, documented, response)
        if documented is None:
            logger.warning("%s answered %s, which its contract does not document", endpoint.id, status)
        problem: dict[str, Any] = {}
        if "json" in response.headers.get("content-type", ""):
            try:
                decoded = orjson.loads(response.content)
            except orjson.JSONDecodeError:
                decoded = None
            if isinstance(decoded, dict):
                problem = decoded
        summary = problem.get("detail") or problem.get("title") or response.reason_phrase
        raise error_for_status(status)(
            f"{endpoint.id}: {endpoint.method} {response.request.url.path} -> {status}: {summary}",
            status=status,
            problem=problem,
            operation=endpoint.id,
            request_id=response.headers.get(_REQUEST_ID),
            headers=response.headers,
        )


def _decode(plan: _Plan, documented: ResponseSpec, response: httpx.Response) -> Any:
    if documented.annotation is None:
        return None
    if documented.annotation is str:
        return response.text
    try:
        return plan.decoders[documented.status].validate_json(response.content, extra="ignore")
    except ValidationError as exc:
        raise _unexpected(plan.endpoint, response, f"the body does not match the contract: {exc}") from None


def _unexpected(endpoint: EndpointSpec[Any], response: httpx.Response, why: str) -> UnexpectedResponse:
    return UnexpectedResponse(
        f"{endpoint.id}: {endpoint.method} {response.request.url.path} -> {response.status_code}: {why}",
        status=response.status_code,
        operation=endpoint.id,
        request_id=response.headers.get(_REQUEST_ID),
        headers=response.headers,
    )
