"""The service's background work: timers over the database, and the order of reservations in a batch.

Timers read what is due from the database at every round, so nothing is lost across restarts: a
reservation that expired while the service was down is expired at the first round after it starts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

import orjson

from a4co_sdk._runtime.consuming import ProcessBatch
from a4co_sdk._runtime.subscribing import Delivery, Outcome
from services.inventory.domain.reservations import PRIORITY_RANK

__all__ = ["by_priority", "every"]

log = logging.getLogger(__name__)


RETRY_AFTER = 5.0


def every(
    interval: float, round_: Callable[[], Awaitable[int]], *, batch: int | None = None
) -> Callable[[], Coroutine[Any, Any, None]]:
    """A loop running `round_` now and then every `interval` seconds; at once again while a round finds
    a full `batch` (a backlog).

    A failing round is logged and tried again after at most RETRY_AFTER seconds (the database may be
    restarting); the runner restarts the loop if it dies anyway.
    """

    async def loop() -> None:
        while True:
            try:
                done = await round_()
            except Exception:
                pause = min(interval, RETRY_AFTER)
                log.exception("background round failed; trying again in %.1f s", pause)
                await asyncio.sleep(pause)
                continue
            if batch is None or done < batch:
                await asyncio.sleep(interval)

    return loop


def _rank(delivery: Delivery) -> int:
    try:
        priority = orjson.loads(delivery.body).get("priority")
    except (orjson.JSONDecodeError, AttributeError):
        return len(PRIORITY_RANK)  # not a request the dispatcher can decode: it dead-letters it anyway
    return (
        PRIORITY_RANK.get(priority, len(PRIORITY_RANK)) if isinstance(priority, str) else len(PRIORITY_RANK)
    )


def by_priority(process: ProcessBatch) -> Callable[[Sequence[Delivery]], Awaitable[list[Outcome]]]:
    """Serve the reservation requests of one batch vip first, then high, then normal (arrival order within
    a priority). That is all priority does: nobody gets stock another request already holds."""

    async def run(deliveries: Sequence[Delivery]) -> list[Outcome]:
        order = sorted(range(len(deliveries)), key=lambda i: (_rank(deliveries[i]), i))
        outcomes = list(await process([deliveries[i] for i in order]))
        answered: list[Outcome | None] = [None] * len(deliveries)
        for position, index in enumerate(order):
            answered[index] = outcomes[position]
        return [outcome for outcome in answered if outcome is not None]

    return run
