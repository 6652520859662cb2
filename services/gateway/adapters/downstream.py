"""Calling a downstream service: a time budget, its circuit breaker, and its failures as the gateway's.

Every call of the gateway to another service goes through `Downstream.call` (or `proxy` for the query
routes that pass the service's answer through). The budget bounds the whole call, whatever httpx's
per-phase timeouts do. Failures become the gateway's documented problems:

| downstream | gateway | counts against the breaker |
|---|---|---|
| circuit open | 503 with `Retry-After` (the time left), at once | - |
| budget spent, or httpx timed out | 504 | yes |
| no connection | 503 `Retry-After` | yes |
| 503, any 5xx, an answer the contract does not document | 503 `Retry-After` | yes |
| 401 / 403 (our service token refused: a deployment error, logged) | 503 `Retry-After` | yes |
| 400, 404 | passed through by `proxy`; raised as the SDK's error by `call` | no |
| another 4xx | 503 (logged: the contract says it cannot happen) | no |
"""

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from typing import TypeVar

from a4co_sdk._runtime.http_errors import (
    BadRequest,
    Forbidden,
    HttpError,
    NotFound,
    ServerError,
    ServiceUnavailable,
    TransportError,
    TransportTimeout,
    Unauthorized,
    UnexpectedResponse,
)
from services.gateway.domain import errors
from services.platform.circuit_breaker import CircuitBreaker, CircuitOpenError

__all__ = ["Downstream", "breaker_for", "is_failure"]

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_AFTER = 1
"""Seconds a client should wait after a failure that did not open the circuit."""


def is_failure(exc: BaseException) -> bool:
    """Whether `exc` says the service is not working (as opposed to answering a client's mistake)."""
    if isinstance(exc, TimeoutError | TransportError | ServerError | UnexpectedResponse | Unauthorized):
        return True
    return isinstance(exc, Forbidden)


BUDGET_PER_SLA = 3.0
"""A downstream call's time budget, in multiples of the called operation's SLA."""


def breaker_for(name: str, *, failures: int = 5, open_for: float = 10.0) -> CircuitBreaker:
    """The platform's breaker, counting what `is_failure` says is the service failing."""
    return CircuitBreaker(name, failure_threshold=failures, reset_timeout=open_for, is_failure=is_failure)


class Downstream:
    """One service the gateway calls, with its breaker; `name` is the service's name in messages."""

    def __init__(self, name: str, breaker: CircuitBreaker, *, timeout_scale: float = 1.0) -> None:
        self.name = name
        self.breaker = breaker
        self.timeout_scale = timeout_scale

    def budget(self, sla_ms: float) -> float:
        """Seconds a call to an operation with an SLA of `sla_ms` may take before the gateway gives up.

        A multiple of the SLA, not a share of it: the SLA is a p99 target, and the budget is there to cut
        off a service that hangs, not to turn its slow-but-healthy answers into errors. At 0.8 x SLA the
        auth check (50 ms SLA, so 40 ms) failed `POST /api/orders` with a 504 whenever the 2-core machine
        was busy; a late answer is better for the customer than no answer.
        """
        return sla_ms * BUDGET_PER_SLA / 1000 * self.timeout_scale

    async def call(self, call: Callable[[], Awaitable[T]], *, budget: float) -> T:
        """The call's result; raises a `GatewayError`, or the SDK's `BadRequest`/`NotFound`/`HttpError`
        for the client-side statuses the caller decides about."""

        async def bounded() -> T:
            async with asyncio.timeout(budget):
                return await call()

        try:
            return await self.breaker.call(bounded)
        except CircuitOpenError as exc:
            retry = max(RETRY_AFTER, math.ceil(exc.retry_in))  # 0 while another call is the trial
            raise errors.Unavailable(
                f"The {self.name} service is unavailable (circuit open); retry in {retry} "
                f"second{'s' if retry != 1 else ''}.",
                retry_after=retry,
            ) from None
        except (TimeoutError, TransportTimeout):
            raise errors.TimedOut(
                f"The {self.name} service did not answer within {budget * 1000:.0f} ms."
            ) from None
        except TransportError as exc:
            log.warning("%s unreachable: %s", self.name, exc)
            raise self._unavailable("cannot be reached") from None
        except ServiceUnavailable as exc:
            retry = max(RETRY_AFTER, round(exc.retry_after or 0))
            raise errors.Unavailable(
                f"The {self.name} service is unavailable; retry in {retry} seconds.", retry_after=retry
            ) from None
        except (ServerError, UnexpectedResponse) as exc:
            log.warning("%s failed: %s", self.name, exc)
            raise self._unavailable("failed") from None
        except (Unauthorized, Forbidden):
            log.exception("%s refused the gateway's service token", self.name)
            raise self._unavailable("refused the gateway") from None

    async def proxy(self, call: Callable[[], Awaitable[T]], *, budget: float) -> T:
        """`call` for a query route: the service's 400 and 404 are the client's, passed through."""
        try:
            return await self.call(call, budget=budget)
        except BadRequest as exc:
            raise errors.MalformedRequest(
                exc.detail or "The request is malformed.", errors=exc.errors
            ) from None
        except NotFound as exc:
            raise errors.NotFound(exc.detail or "Not found.") from None
        except HttpError as exc:
            log.exception("%s answered %s, which the gateway does not expect", self.name, exc.status)
            raise self._unavailable("answered unexpectedly") from None

    def _unavailable(self, what: str) -> errors.Unavailable:
        return errors.Unavailable(
            f"The {self.name} service {what}; retry in {RETRY_AFTER} second.", retry_after=RETRY_AFTER
        )
