"""Request timing by contract operation, for the `a4co_http_request_seconds` histogram.

A pure ASGI middleware: it reads which operation served the request from the scope (the generated server
puts the operationId there), so the metric's labels are the contract's names, not raw paths.
"""

from __future__ import annotations

import time

from prometheus_client import Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from a4co_sdk._runtime.http_server import OPERATION_SCOPE_KEY

__all__ = ["RequestTiming"]


class RequestTiming:
    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self.histogram = histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            operation = scope.get(OPERATION_SCOPE_KEY, "unmatched")
            self.histogram.labels(operation=operation, status=str(status)).observe(
                time.perf_counter() - started
            )
