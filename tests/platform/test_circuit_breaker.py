"""The circuit breaker: opens after consecutive failures, fails fast, lets one trial through, closes."""

import asyncio

import pytest

from services.platform.circuit_breaker import CircuitBreaker, CircuitOpenError, CircuitState


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class DownError(Exception):
    pass


class NotFoundAnswerError(Exception):
    pass


async def ok() -> str:
    return "ok"


async def down() -> str:
    raise DownError


def state(b: CircuitBreaker) -> CircuitState:
    """Read afresh each time (a property mypy would otherwise narrow once for the whole test)."""
    return b.state


def breaker(clock: Clock, threshold: int = 3) -> CircuitBreaker:
    return CircuitBreaker(
        "user",
        failure_threshold=threshold,
        reset_timeout=5.0,
        is_failure=lambda exc: not isinstance(exc, NotFoundAnswerError),
        clock=clock,
    )


async def fail(b: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        with pytest.raises(DownError):
            await b.call(down)


async def test_it_opens_after_the_threshold_of_consecutive_failures_and_then_fails_fast() -> None:
    clock = Clock()
    b = breaker(clock)
    await fail(b, 2)
    assert state(b) is CircuitState.CLOSED
    await fail(b, 1)
    assert state(b) is CircuitState.OPEN
    calls = 0

    async def counted() -> str:
        nonlocal calls
        calls += 1
        return "ok"

    with pytest.raises(CircuitOpenError) as refused:
        await b.call(counted)
    assert calls == 0
    assert refused.value.retry_in == pytest.approx(5.0)
    assert (b.rejected, b.opened) == (1, 1)


async def test_a_success_resets_the_count_of_consecutive_failures() -> None:
    b = breaker(Clock())
    await fail(b, 2)
    assert await b.call(ok) == "ok"
    await fail(b, 2)
    assert state(b) is CircuitState.CLOSED


async def test_after_the_reset_timeout_one_trial_goes_through_and_its_success_closes_the_circuit() -> None:
    clock = Clock()
    b = breaker(clock)
    await fail(b, 3)
    clock.now += 5.0
    assert state(b) is CircuitState.HALF_OPEN
    release = asyncio.Event()

    async def slow_trial() -> str:
        await release.wait()
        return "back"

    trial = asyncio.create_task(b.call(slow_trial))
    await asyncio.sleep(0)
    with pytest.raises(CircuitOpenError):  # a second caller during the trial still fails fast
        await b.call(ok)
    release.set()
    assert await trial == "back"
    assert state(b) is CircuitState.CLOSED
    assert await b.call(ok) == "ok"


async def test_a_failed_trial_opens_the_circuit_for_another_period() -> None:
    clock = Clock()
    b = breaker(clock)
    await fail(b, 3)
    clock.now += 5.0
    await fail(b, 1)
    assert state(b) is CircuitState.OPEN
    clock.now += 4.9
    with pytest.raises(CircuitOpenError):
        await b.call(ok)
    clock.now += 0.1
    assert await b.call(ok) == "ok"
    assert b.opened == 2


async def test_answers_that_are_not_failures_pass_through_without_counting() -> None:
    b = breaker(Clock(), threshold=1)

    async def not_found() -> str:
        raise NotFoundAnswerError

    for _ in range(3):
        with pytest.raises(NotFoundAnswerError):
            await b.call(not_found)
    assert state(b) is CircuitState.CLOSED


async def test_a_cancelled_trial_frees_the_half_open_slot() -> None:
    clock = Clock()
    b = breaker(clock, threshold=1)
    await fail(b, 1)
    clock.now += 5.0

    async def hang() -> str:
        await asyncio.Event().wait()
        return "never"

    trial = asyncio.create_task(b.call(hang))
    await asyncio.sleep(0)
    trial.cancel()
    with pytest.raises(asyncio.CancelledError):
        await trial
    assert await b.call(ok) == "ok"  # the next caller gets the trial
    assert state(b) is CircuitState.CLOSED


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="failure_threshold"):
        CircuitBreaker("x", failure_threshold=0)
    with pytest.raises(ValueError, match="reset_timeout"):
        CircuitBreaker("x", reset_timeout=0)
