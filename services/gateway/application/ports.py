"""What the gateway's use cases need from the outside, as ABCs; adapters implement them, tests fake them."""

import abc
from datetime import datetime
from uuid import UUID

from a4co_sdk.models import order
from services.gateway.domain.idempotency import KeyRecord
from services.gateway.domain.orders import AcceptedOrder

__all__ = ["AcceptedOrders", "CommandBus", "IdempotencyKeys", "Orders"]


class Orders(abc.ABC):
    """The order service's read model."""

    @abc.abstractmethod
    async def get(self, order_id: UUID) -> order.OrderView | None:
        """The order, or None when the order service has none with this id (yet)."""


class AcceptedOrders(abc.ABC):
    """Orders whose `CreateOrder` the gateway got stored, remembered until the order service has them."""

    @abc.abstractmethod
    async def remember(self, accepted: AcceptedOrder) -> None: ...

    @abc.abstractmethod
    async def get(self, order_id: UUID) -> AcceptedOrder | None: ...


class IdempotencyKeys(abc.ABC):
    """Claimed keys of `POST /api/orders`, per customer."""

    @abc.abstractmethod
    async def claim(self, customer_id: UUID, key: str, record: KeyRecord) -> KeyRecord | None:
        """Claim `key` with `record` (in progress); the record already there if someone claimed it first."""

    @abc.abstractmethod
    async def complete(self, customer_id: UUID, key: str, record: KeyRecord) -> None:
        """Store the answer: later requests with the key replay it."""

    @abc.abstractmethod
    async def release(self, customer_id: UUID, key: str) -> None:
        """Forget a claim whose command was not stored, so that a retry may try again."""


class CommandBus(abc.ABC):
    """Sends the order commands; each method returns when JetStream has stored the command."""

    @abc.abstractmethod
    async def create_order(self, command: order.CreateOrder, *, message_id: UUID) -> datetime: ...

    @abc.abstractmethod
    async def modify_order_items(self, command: order.ModifyOrderItems) -> datetime: ...

    @abc.abstractmethod
    async def cancel_order(self, command: order.CancelOrder) -> datetime: ...
