"""The loyalty ledger on SQLite and PostgreSQL: orders and accounts are saved and read back as they were."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest

from services.loyalty.adapters.ledger import SqlLedger
from services.loyalty.domain.points import Account, OrderPoints, Status
from services.platform.database import Database
from services.platform.unit_of_work import SqlUnitOfWork
from tests.platform.sql.conftest import BACKENDS, open_database

NOW = datetime(2026, 11, 20, 10, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with open_database(request.param, tmp_path) as database:
        yield database


async def test_orders_and_accounts_round_trip(db: Database) -> None:
    customer, order_id, early = uuid4(), uuid4(), uuid4()
    points = OrderPoints.created(order_id, customer, Decimal("480.90"))
    async with SqlUnitOfWork(db) as uow:
        ledger = SqlLedger(uow.session)
        await ledger.save_order(points, at=NOW)
        await ledger.save_order(OrderPoints(early, Status.CONFIRMED_EARLY, settled_at=NOW), at=NOW)
        account = await ledger.account(customer)
        assert account.balance == 0
        account.credit(600)
        await ledger.save_account(account, at=NOW)
    async with SqlUnitOfWork(db) as uow:
        ledger = SqlLedger(uow.session)
        assert await ledger.order(order_id) == points
        assert await ledger.order(early) == OrderPoints(early, Status.CONFIRMED_EARLY, settled_at=NOW)
        assert await ledger.order(uuid4()) is None
        assert await ledger.account(customer) == Account(customer, 600)
        points.record_state("confirmed", now=NOW)
        points.earn(Account(customer, 600), now=NOW)
        await ledger.save_order(points, at=NOW)  # an update of the same row
    async with SqlUnitOfWork(db) as uow:
        saved = await SqlLedger(uow.session).order(order_id)
        assert saved is not None
        assert (saved.status, saved.points, saved.settled_at) == (Status.EARNED, 480, NOW)
