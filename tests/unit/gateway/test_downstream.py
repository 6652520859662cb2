"""A downstream call's failures as the gateway's problems: 503 with Retry-After, 504, passed-through 4xx."""

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest

from a4co_sdk._runtime.http_errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    ServerError,
    ServiceUnavailable,
    TransportError,
    TransportTimeout,
)
from services.gateway.adapters.downstream import Downstream, breaker_for, is_failure
from services.gateway.domain import errors
from services.platform.circuit_breaker import CircuitBreaker


@pytest.fixture
def product() -> Downstream:
    return Downstream("product", breaker_for("product", failures=2, open_for=30.0))


def raising(exc: Exception) -> Callable[[], Awaitable[str]]:
    async def call() -> str:
        raise exc

    return call


async def test_the_budget_bounds_the_whole_call(product: Downstream) -> None:
    async def slow() -> str:
        await asyncio.sleep(5)
        return "late"

    started = asyncio.get_running_loop().time()
    with pytest.raises(errors.TimedOut, match="within 50 ms"):
        await product.call(slow, budget=0.05)
    assert asyncio.get_running_loop().time() - started < 1


async def test_failures_are_503_and_open_the_circuit_which_answers_at_once(product: Downstream) -> None:
    with pytest.raises(errors.Unavailable, match="cannot be reached") as first:
        await product.call(raising(TransportError("refused", operation="searchProducts")), budget=1)
    assert first.value.retry_after == 1
    with pytest.raises(errors.Unavailable, match="failed"):
        await product.call(raising(ServerError("boom", status=500)), budget=1)
    with pytest.raises(errors.Unavailable, match="circuit open") as open_:
        await product.call(raising(AssertionError("must not be called")), budget=1)
    assert open_.value.retry_after == 30


async def test_a_timeout_of_httpx_is_a_504(product: Downstream) -> None:
    with pytest.raises(errors.TimedOut):
        await product.call(raising(TransportTimeout("read timeout", operation="searchProducts")), budget=1)


async def test_a_downstream_503_keeps_its_retry_after(product: Downstream) -> None:
    exc = ServiceUnavailable("busy", status=503, headers=httpx.Headers({"Retry-After": "7"}))
    with pytest.raises(errors.Unavailable) as refused:
        await product.call(raising(exc), budget=1)
    assert refused.value.retry_after == 7


async def test_a_refused_service_token_is_our_failure_not_the_clients(product: Downstream) -> None:
    with pytest.raises(errors.Unavailable, match="refused the gateway"):
        await product.call(raising(Forbidden("no", status=403)), budget=1)


async def test_proxy_passes_400_and_404_through_and_they_do_not_count(product: Downstream) -> None:
    problem = {
        "detail": "minPrice must not be greater than maxPrice.",
        "errors": [{"parameter": "minPrice", "message": "too big"}],
    }
    for _ in range(3):
        with pytest.raises(errors.MalformedRequest) as malformed:
            await product.proxy(raising(BadRequest("bad", status=400, problem=problem)), budget=1)
    assert malformed.value.errors == problem["errors"]
    with pytest.raises(errors.NotFound, match="no product"):
        await product.proxy(
            raising(NotFound("nf", status=404, problem={"detail": "There is no product x."})), budget=1
        )
    assert product.breaker.opened == 0


async def test_proxy_answers_an_undocumented_4xx_as_503(product: Downstream) -> None:
    with pytest.raises(errors.Unavailable, match="unexpectedly"):
        await product.proxy(raising(Conflict("?", status=409)), budget=1)


async def test_while_one_call_tries_a_recovering_service_the_others_wait_a_second() -> None:
    now = [0.0]
    breaker = CircuitBreaker(
        "order", failure_threshold=1, reset_timeout=5, is_failure=is_failure, clock=lambda: now[0]
    )
    order = Downstream("order", breaker)
    with pytest.raises(errors.Unavailable):
        await order.call(raising(ServerError("boom", status=500)), budget=1)
    now[0] += 5
    release = asyncio.Event()

    async def trial() -> str:
        await release.wait()
        return "back"

    trying = asyncio.create_task(order.call(trial, budget=1))
    await asyncio.sleep(0)
    with pytest.raises(errors.Unavailable) as meanwhile:
        await order.call(trial, budget=1)
    assert meanwhile.value.retry_after == 1
    release.set()
    assert await trying == "back"


def test_a_budget_is_a_multiple_of_the_sla_scaled_for_slow_machines() -> None:
    assert Downstream("auth", breaker_for("auth")).budget(50) == pytest.approx(0.15)
    assert Downstream("auth", breaker_for("auth"), timeout_scale=4).budget(50) == pytest.approx(0.6)
