"""Behaviour tracking: `user.behavior.tracked.v1` for what signed-in users search and look at.

The event is published in the background, after the answer is ready, so tracking never slows a search
down nor fails it: a publishing error is logged and counted, and the event is lost (it feeds analytics
and segmentation, which tolerate a gap; a search must not wait for JetStream). The task inherits the
request's flow (contextvars are copied into it), so the event carries the request's correlation id and
trace. The session is the token's `jti`: a user token is one signed-in session.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from a4co_sdk.models import user
from a4co_sdk.publishers.gateway import UserBehaviorTrackedPublisher
from services.platform.security import UserPrincipal

__all__ = ["BehaviorTracker"]

log = logging.getLogger(__name__)

MAX_PENDING = 1000
"""Events in flight at most; beyond, new ones are dropped (and counted) rather than piling up tasks."""


class BehaviorTracker:
    def __init__(
        self,
        publisher: UserBehaviorTrackedPublisher,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.publisher = publisher
        self._clock = clock
        self._pending: set[asyncio.Task[None]] = set()
        self.sent = 0
        self.lost = 0

    def track(
        self,
        who: UserPrincipal,
        action: str,
        *,
        page: str,
        product_id: Any = None,
        search_query: str | None = None,
        filters: dict[str, Any] | None = None,
    ) -> None:
        """Publish in the background that `who` did `action`; returns at once."""
        if len(self._pending) >= MAX_PENDING:
            self.lost += 1
            return
        try:
            event = user.UserBehaviorTracked(
                tracking_id=uuid4(),
                user_id=who.user_id,
                action=action,
                context=user.BehaviorContext(
                    page=page[:200],
                    product_id=product_id,
                    search_query=search_query[:200] if search_query is not None else None,
                    filters=filters or None,
                ),
                timestamp=self._clock(),
                session_id=str(who.token_id),
            )
        except ValueError:  # pydantic's ValidationError: what the contract cannot carry is not tracked
            self.lost += 1
            log.warning("could not track %s", action, exc_info=True)
            return
        task = asyncio.create_task(self._publish(event), name="track behaviour")
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _publish(self, event: user.UserBehaviorTracked) -> None:
        try:
            await self.publisher.publish(event)
        except Exception:  # tracking is best effort: logged, counted, never raised
            self.lost += 1
            log.warning("could not publish %s", event.action, exc_info=True)
        else:
            self.sent += 1

    async def close(self) -> None:
        """Wait for the events in flight (on shutdown)."""
        if self._pending:
            await asyncio.wait(set(self._pending), timeout=5)
