"""The health, readiness and metrics operations every service's OpenAPI document has.

A mixin for the generated server interfaces: liveness says the process answers; readiness asks every
dependency the service registered (NATS, the database, Redis, a downstream service) and answers 503 with
the failing ones named, so a load balancer or `a4co run` waits for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from a4co_sdk._runtime.http_server import HttpResponse
from a4co_sdk.models import platform
from services.platform.observability import Metrics

__all__ = ["Probes", "ReadinessCheck"]

log = logging.getLogger(__name__)

ReadinessCheck = Callable[[], Awaitable[bool]]
CHECK_TIMEOUT = 1.0
VERSION = "1.0.0"


class Probes:
    """Implements getHealth, getReadiness and getMetrics for any generated server interface."""

    service_name: str
    metrics: Metrics
    readiness_checks: Mapping[str, ReadinessCheck]

    async def get_health(self) -> platform.Health:
        return platform.Health(status="ok", service=self.service_name, version=VERSION)

    async def get_readiness(self) -> platform.Readiness | HttpResponse:
        async def run(name: str, check: ReadinessCheck) -> tuple[str, bool]:
            try:
                return name, await asyncio.wait_for(check(), CHECK_TIMEOUT)
            except Exception as exc:  # noqa: BLE001 - any failure means "not ready", and says which
                log.warning("readiness check %s failed: %s", name, exc)
                return name, False

        results = dict(await asyncio.gather(*(run(n, c) for n, c in self.readiness_checks.items())))
        ready = all(results.values())
        body = platform.Readiness(
            status=platform.ReadinessStatus.READY if ready else platform.ReadinessStatus.NOT_READY,
            checks=platform.ReadinessChecks(
                {
                    name: platform.CheckStatus.OK if ok else platform.CheckStatus.FAILING
                    for name, ok in results.items()
                }
            ),
        )
        return body if ready else HttpResponse(body, status=503)

    async def get_metrics(self) -> str:
        return self.metrics.render()
