"""A circuit breaker for synchronous calls to other services.

A caller with a tight budget (the payment service's 100 ms profile check) must not spend it waiting on a
dependency that is down: after `failure_threshold` consecutive failures the circuit *opens* and calls fail
at once with `CircuitOpenError` for `reset_timeout` seconds. Then it is *half-open*: one trial call is let
through (others still fail fast); its success closes the circuit, its failure opens it again.

Which exceptions count as the dependency failing is the caller's choice (`is_failure`): a timeout or a
503 does; a 404 is an answer, not a failure, and passes through without touching the count. Cancellation
is never a failure. Time comes from `clock` (monotonic seconds), so tests need no sleeping.

    breaker = CircuitBreaker("user", failure_threshold=5, reset_timeout=5.0)
    profile = await breaker.call(lambda: client.get_payment_profile(user_id=uid))
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import TypeVar

__all__ = ["CircuitBreaker", "CircuitOpenError", "CircuitState"]

T = TypeVar("T")


class CircuitState(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitOpenError(Exception):
    """The circuit is open: the call was not attempted. `retry_in`: seconds until a trial is allowed."""

    def __init__(self, name: str, retry_in: float) -> None:
        super().__init__(f"circuit {name} is open; next trial in {retry_in:.2f}s")
        self.name = name
        self.retry_in = retry_in


def _any_exception(_: BaseException) -> bool:
    return True


class CircuitBreaker:
    """Counts consecutive failures of one dependency and fails fast while it is down."""

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 5.0,
        is_failure: Callable[[BaseException], bool] = _any_exception,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if reset_timeout <= 0:
            raise ValueError("reset_timeout must be positive")
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self._is_failure = is_failure
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False
        self.rejected = 0
        """Calls refused while open (a metric)."""
        self.opened = 0
        """Times the circuit opened (a metric)."""

    @property
    def state(self) -> CircuitState:
        if self._opened_at is None:
            return CircuitState.CLOSED
        if self._clock() - self._opened_at >= self.reset_timeout:
            return CircuitState.HALF_OPEN
        return CircuitState.OPEN

    async def call(self, operation: Callable[[], Awaitable[T]]) -> T:
        """Run `operation` unless the circuit is open; record whether it failed."""
        self._admit()
        trial = self._opened_at is not None
        try:
            result = await operation()
        except asyncio.CancelledError:
            if trial:
                self._trial_running = False
            raise
        except BaseException as exc:
            if self._is_failure(exc):
                self._failed()
            elif trial:  # an answer, even an unwelcome one, shows the dependency is back
                self._succeeded()
            raise
        self._succeeded()
        return result

    def _admit(self) -> None:
        state = self.state
        if state is CircuitState.CLOSED:
            return
        if state is CircuitState.HALF_OPEN and not self._trial_running:
            self._trial_running = True
            return
        self.rejected += 1
        assert self._opened_at is not None
        retry_in = max(0.0, self.reset_timeout - (self._clock() - self._opened_at))
        raise CircuitOpenError(self.name, retry_in)

    def _failed(self) -> None:
        self._trial_running = False
        if self._opened_at is not None:  # the trial failed: open for another period
            self._opened_at = self._clock()
            self.opened += 1
            return
        self._failures += 1
        if self._failures >= self.failure_threshold:
            self._opened_at = self._clock()
            self.opened += 1

    def _succeeded(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_running = False
