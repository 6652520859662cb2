"""Composition root of the loyalty service. It keeps no read model for others (only HTTP probes)."""

from datetime import UTC, datetime
from typing import Any

from a4co_sdk import Received
from a4co_sdk.models import order
from a4co_sdk.publishers.loyalty import LoyaltyPublishers
from a4co_sdk.servers.loyalty import LoyaltyApi, app
from a4co_sdk.subscribers.loyalty import LoyaltyHandlers, routes
from services.loyalty.adapters.ledger import SqlLedger
from services.loyalty.application import handlers
from services.platform.kit import Kit
from services.platform.probes import Probes
from services.platform.runner import Runtime, Service
from services.platform.unit_of_work import current_unit_of_work

__all__ = ["build"]


class Api(Probes, LoyaltyApi):
    def __init__(self, kit: Kit) -> None:
        self.service_name = kit.name
        self.metrics = kit.runtime.metrics
        self.readiness_checks = kit.readiness


class Handlers(LoyaltyHandlers):
    def __init__(self, publishers: LoyaltyPublishers) -> None:
        self.publishers = publishers

    async def on_order_created(self, message: order.OrderCreated, received: Received[Any]) -> None:
        uow = current_unit_of_work()
        await handlers.record_order_created(
            message, uow, SqlLedger(uow.session), self.publishers, now=datetime.now(UTC)
        )

    async def on_order_state_changed(self, message: order.OrderStateChanged, received: Received[Any]) -> None:
        uow = current_unit_of_work()
        await handlers.record_order_state_changed(
            message, uow, SqlLedger(uow.session), self.publishers, now=datetime.now(UTC)
        )


async def build(runtime: Runtime) -> Service:
    kit = await Kit.open(runtime)
    await kit.create_tables()
    publishers = LoyaltyPublishers(runtime.js, cipher=kit.cipher)
    return kit.service(kit.http(app, Api(kit)), kit.consumers(routes(Handlers(publishers))))
