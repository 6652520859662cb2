"""Composition root of the delivery service."""

from typing import Any

from a4co_sdk import Received
from a4co_sdk.models import delivery
from a4co_sdk.publishers.delivery import DeliveryPublishers
from a4co_sdk.servers.delivery import DeliveryApi, app
from a4co_sdk.subscribers.delivery import DeliveryHandlers, routes
from services.delivery.application import handlers
from services.platform.kit import Kit
from services.platform.probes import Probes
from services.platform.runner import Runtime, Service
from services.platform.unit_of_work import current_unit_of_work


class Api(Probes, DeliveryApi):
    def __init__(self, kit: Kit) -> None:
        self.service_name = kit.name
        self.metrics = kit.runtime.metrics
        self.readiness_checks = kit.readiness


class Handlers(DeliveryHandlers):
    def __init__(self, publishers: DeliveryPublishers) -> None:
        self.publishers = publishers

    async def on_delivery_scheduling_requested(
        self, message: delivery.DeliverySchedulingRequested, received: Received[Any]
    ) -> None:
        await handlers.schedule_delivery(message, current_unit_of_work(), self.publishers)


async def build(runtime: Runtime) -> Service:
    kit = await Kit.open(runtime)
    await kit.create_tables()
    publishers = DeliveryPublishers(runtime.js, cipher=kit.cipher)
    return kit.service(kit.http(app, Api(kit)), kit.consumers(routes(Handlers(publishers))))
