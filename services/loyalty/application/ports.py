"""The ledger port of the loyalty handlers; SQL in production, in memory in tests."""

import abc
from datetime import datetime
from uuid import UUID

from services.loyalty.domain.points import Account, OrderPoints

__all__ = ["Ledger"]


class Ledger(abc.ABC):
    @abc.abstractmethod
    async def order(self, order_id: UUID) -> OrderPoints | None: ...

    @abc.abstractmethod
    async def save_order(self, order: OrderPoints, *, at: datetime) -> None: ...

    @abc.abstractmethod
    async def account(self, customer_id: UUID) -> Account:
        """The customer's account; an empty one when they never earned."""

    @abc.abstractmethod
    async def save_account(self, account: Account, *, at: datetime) -> None: ...
