"""The user tables on SQLite and PostgreSQL: first fact wins, signals count once, answers are kept, and the
read side builds both profiles (blocked, masked methods, default first, expired cards)."""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from a4co_sdk.models import user
from services.platform.database import Database
from services.platform.unit_of_work import SqlUnitOfWork
from services.user.adapters.repositories import SqlCustomers, SqlSegmentations, SqlValidations
from services.user.adapters.views import SqlProfileViews
from services.user.application.ports import ValidationAnswer
from services.user.domain.customers import Customer, Rejection, SavedMethod
from services.user.domain.segments import Segmentation
from tests.platform.sql.conftest import BACKENDS, open_database

NOW = datetime(2026, 11, 20, 10, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with open_database(request.param, tmp_path) as database:
        yield database


async def test_the_profiles_are_built_from_the_read_model(db: Database) -> None:
    maria = uuid4()
    visa = SavedMethod(uuid4(), maria, "card", "Visa ···· 4242", 9, 2029, is_default=True, added_at=NOW)
    old = SavedMethod(
        uuid4(),
        maria,
        "card",
        "Visa ···· 4444",
        3,
        2026,
        is_default=False,
        added_at=NOW + timedelta(minutes=1),
    )
    async with SqlUnitOfWork(db) as uow:
        customers = SqlCustomers(uow.session)
        await customers.register(Customer(maria, "María", "es", NOW))
        await customers.register(Customer(maria, "Otra", "en", NOW))  # first registration wins
        await customers.add_method(visa)
        await customers.add_method(visa)
        await customers.add_method(old)
        segmentations = SqlSegmentations(uow.session)
        await segmentations.save(
            Segmentation(maria, 2, 2, 600, "silver", NOW, ("olive-oil-lover", "repeat-buyer")), at=NOW
        )
    views = SqlProfileViews(db)
    payment = await views.payment_profile(maria, date(2026, 11, 20))
    assert payment is not None
    assert payment.default_payment_method_id == visa.payment_method_id
    assert [(m.label, m.status.value) for m in payment.payment_methods] == [
        ("Visa ···· 4242", "active"),
        ("Visa ···· 4444", "expired"),
    ]
    assert payment.updated_at == NOW + timedelta(minutes=1)
    chat = await views.chat_profile(maria)
    assert chat is not None
    assert (chat.display_name, chat.preferred_language, chat.is_blocked) == (
        "María",
        user.PreferredLanguage.ES,
        False,
    )
    assert [s.root for s in chat.segments] == ["olive-oil-lover", "repeat-buyer"]
    assert (chat.loyalty_tier, chat.last_order_at) == ("silver", NOW)
    async with SqlUnitOfWork(db) as uow:
        await SqlCustomers(uow.session).block(maria, "fraud", NOW + timedelta(days=1))
        assert (await SqlCustomers(uow.session).status(maria)).blocked is True
    blocked = await views.payment_profile(maria, date(2026, 11, 20))
    assert blocked is not None
    assert blocked.status is user.PaymentProfileStatus.BLOCKED
    assert await views.payment_profile(uuid4(), date(2026, 11, 20)) is None
    assert await views.chat_profile(uuid4()) is None


async def test_signals_count_once_and_answers_are_kept(db: Database) -> None:
    customer, signal, validation_id = uuid4(), uuid4(), uuid4()
    async with SqlUnitOfWork(db) as uow:
        segmentations = SqlSegmentations(uow.session)
        assert await segmentations.first_sighting(customer, signal, "olive-oil-interest", NOW) is True
        assert await segmentations.first_sighting(customer, signal, "olive-oil-interest", NOW) is False
        assert (await segmentations.get(customer)).segments == ()
        answer = ValidationAnswer(validation_id, customer, uuid4(), Rejection.BLOCKED, ("vip",), NOW)
        await SqlValidations(uow.session).add(answer)
    async with SqlUnitOfWork(db) as uow:
        assert await SqlValidations(uow.session).get(validation_id) == answer
        assert (await SqlCustomers(uow.session).status(customer)).known is False
