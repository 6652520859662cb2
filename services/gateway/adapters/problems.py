"""The gateway's refusals as problem+json answers (RFC 9457), the one place they are turned into HTTP.

Handlers and the authenticator raise `HttpProblem` for the generated server runtime to write; the rate
limiter answers before any route runs, so it writes the same body itself, with the same members.
"""

import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

import orjson
from starlette.responses import Response
from starlette.types import Scope

from a4co_sdk._runtime.http_server import HttpProblem, problem_instance, request_id_of
from services.gateway.domain.errors import GatewayError

__all__ = ["answers", "problem", "problem_response"]


P = ParamSpec("P")
R = TypeVar("R")


def _headers(error: GatewayError) -> dict[str, str]:
    headers = dict(error.headers)
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    return headers


def problem(error: GatewayError) -> HttpProblem:
    return HttpProblem(
        error.status,
        title=error.title,
        detail=error.detail,
        type=error.type,
        headers=_headers(error),
        errors=error.errors,
    )


def answers(handler: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """Decorate an operation's method: the `GatewayError`s it raises are answered as their problems."""

    @functools.wraps(handler)
    async def answer(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await handler(*args, **kwargs)
        except GatewayError as error:
            raise problem(error) from None

    return answer


def problem_response(scope: Scope, error: GatewayError) -> Response:
    """The problem+json response of `error` for a request the routes never saw (the rate limiter's)."""
    request_id = request_id_of(scope)
    body = {
        "type": error.type,
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "instance": problem_instance(scope),
        "requestId": request_id,
    }
    headers = {**_headers(error), "X-Request-Id": request_id}
    return Response(orjson.dumps(body), error.status, headers, media_type="application/problem+json")
