"""Simulated email, SMS and push providers: deterministic (see `domain.sending.bounce_reason`), so tests
and the demo can reach the failure path on purpose with an address containing `+bounce`."""

import logging
from collections import deque

from services.notification.application.ports import DeliveryFailedError, Providers
from services.notification.domain.sending import Message, bounce_reason

__all__ = ["SimulatedProviders"]

log = logging.getLogger(__name__)


class SimulatedProviders(Providers):
    def __init__(self, *, remember: int = 1000) -> None:
        self.delivered: deque[Message] = deque(maxlen=remember)
        """The last messages delivered, for the demo and tests."""

    async def send(self, message: Message) -> None:
        reason = bounce_reason(message)
        if reason is not None:
            raise DeliveryFailedError(reason)
        self.delivered.append(message)
        log.debug(
            "%s %s to %s: %d notifications",
            message.channel.value,
            message.template,
            message.recipient_id,
            len(message.parts),
        )
