"""The order commands on JetStream, through the generated gateway publishers.

Each command is answered once JetStream stored it (its acknowledgement), within a time budget below the
command's SLA; without the acknowledgement the command may or may not be stored, which the gateway
answers 504 (contract: `CommandTimeout`, retrying is safe). Sensitive fields (the delivery address) are
encrypted by the publishers with the kit's field cipher. The messages carry the flow the HTTP request
set with `use_context` (correlation id, traceparent), like everything the request causes.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from uuid import UUID

from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import PubAck

from a4co_sdk import PublishError
from a4co_sdk.models import order
from a4co_sdk.publishers.gateway import GatewayPublishers
from services.gateway.application.ports import CommandBus
from services.gateway.domain.errors import TimedOut, Unavailable

__all__ = ["JetStreamCommands"]


class JetStreamCommands(CommandBus):
    def __init__(
        self,
        publishers: GatewayPublishers,
        *,
        connected: Callable[[], bool],
        budget: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.publishers = publishers
        self.connected = connected
        self.budget = budget
        self._clock = clock

    async def create_order(self, command: order.CreateOrder, *, message_id: UUID) -> datetime:
        return await self._stored(
            lambda: self.publishers.create_order.publish(command, message_id=message_id),
            retry="retry with the same Idempotency-Key",
        )

    async def modify_order_items(self, command: order.ModifyOrderItems) -> datetime:
        return await self._stored(
            lambda: self.publishers.modify_order_items.publish(command),
            retry="retrying is safe (quantities are absolute)",
        )

    async def cancel_order(self, command: order.CancelOrder) -> datetime:
        return await self._stored(
            lambda: self.publishers.cancel_order.publish(command), retry="retrying is safe"
        )

    async def _stored(self, publish: Callable[[], Awaitable[PubAck]], *, retry: str) -> datetime:
        if not self.connected():
            raise Unavailable("JetStream is unavailable; retry in 1 second.", retry_after=1)
        timed_out = TimedOut(
            f"The order command was not acknowledged within {self.budget * 1000:.0f} ms; {retry}."
        )
        try:
            async with asyncio.timeout(self.budget):
                await publish()
        except TimeoutError:
            raise timed_out from None
        except PublishError as exc:
            if isinstance(exc.__cause__, NatsTimeout):
                raise timed_out from None
            raise Unavailable(
                "JetStream did not take the order command; retry in 1 second.", retry_after=1
            ) from exc
        return self._clock()
