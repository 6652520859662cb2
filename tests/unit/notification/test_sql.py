"""The notification tables on SQLite and PostgreSQL: a fact is stored once, claims take what is due with
its group, never twice, and take back what a dead batch left after the lease."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from services.notification.adapters.repositories import SqlDirectory, SqlNotifications
from services.notification.domain.notifications import Channel, Contact, Notification, Priority, Status
from services.notification.domain.sending import Outcome
from services.platform.database import Database
from services.platform.unit_of_work import SqlUnitOfWork
from tests.platform.sql.conftest import BACKENDS, open_database

NOW = datetime(2026, 11, 20, 10, tzinfo=UTC)
WINDOW = timedelta(seconds=10)
LEASE = timedelta(seconds=60)


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """SQLite, and PostgreSQL when A4CO_TEST_POSTGRES_URL is set (see tests/platform/sql/conftest.py)."""
    async with open_database(request.param, tmp_path) as database:
        yield database


def notification(
    recipient: UUID,
    *,
    due: timedelta = timedelta(0),
    priority: Priority = Priority.NORMAL,
    group: str | None = None,
) -> Notification:
    return Notification(
        notification_id=uuid4(),
        recipient_id=recipient,
        channel=Channel.EMAIL,
        template="order.received",
        variables={"orderId": "1", "total": {"amount": "24.90", "currency": "EUR"}},
        priority=priority,
        scheduled_for=NOW + due,
        expires_at=NOW + timedelta(days=2),
        group_key=group,
        related_to=("order", "1"),
        created_at=NOW,
    )


async def add(db: Database, *items: Notification) -> list[bool]:
    async with SqlUnitOfWork(db) as uow:
        repository = SqlNotifications(uow.session)
        return [await repository.add(n) for n in items]


async def claim(db: Database, at: datetime) -> list[Notification]:
    async with SqlUnitOfWork(db) as uow:
        return await SqlNotifications(uow.session).claim(
            uuid4(), now=at, window=WINDOW, lease=LEASE, limit=100
        )


async def test_a_notification_is_stored_once_and_read_back_whole(db: Database) -> None:
    first = notification(uuid4())
    assert await add(db, first, first) == [True, False]
    [claimed] = await claim(db, NOW)
    assert claimed.variables == first.variables
    assert (claimed.notification_id, claimed.related_to, claimed.status) == (
        first.notification_id,
        ("order", "1"),
        Status.SENDING,
    )
    assert claimed.scheduled_for == first.scheduled_for


async def test_claims_take_due_notifications_urgent_first_with_their_group_and_never_twice(
    db: Database,
) -> None:
    maria, juan = uuid4(), uuid4()
    later = notification(maria, due=timedelta(seconds=5), group="order:1")  # not due, but in the group
    urgent = notification(maria, priority=Priority.HIGH, group="order:1")
    plain = notification(juan)
    other_group = notification(juan, due=timedelta(seconds=5), group="order:2")  # not due, no due mate
    far = notification(maria, due=timedelta(minutes=5), group="order:1")  # beyond the window
    await add(db, later, urgent, plain, other_group, far)
    claimed = await claim(db, NOW)
    assert [n.notification_id for n in claimed] == [
        urgent.notification_id,
        plain.notification_id,
        later.notification_id,
    ]
    assert await claim(db, NOW) == []  # claimed: not again
    assert [n.notification_id for n in await claim(db, NOW + timedelta(seconds=6))] == [
        other_group.notification_id
    ]


async def test_what_a_dead_batch_claimed_is_claimed_again_after_the_lease_and_finished_once(
    db: Database,
) -> None:
    stuck = notification(uuid4())
    await add(db, stuck)
    await claim(db, NOW)
    assert await claim(db, NOW + timedelta(seconds=30)) == []
    [again] = await claim(db, NOW + LEASE + timedelta(seconds=1))
    async with SqlUnitOfWork(db) as uow:
        await SqlNotifications(uow.session).finish([Outcome(again.notification_id, Status.SENT)], at=NOW)
    assert await claim(db, NOW + timedelta(days=1)) == []


async def test_the_directory_keeps_the_latest_contact_and_the_first_customer_of_an_order(
    db: Database,
) -> None:
    artisan, order_id, customer = uuid4(), uuid4(), uuid4()
    async with SqlUnitOfWork(db) as uow:
        directory = SqlDirectory(uow.session)
        await directory.save_contact(Contact(artisan, "artisan", "old@example.es", None, "es"), at=NOW)
        await directory.save_contact(
            Contact(artisan, "artisan", "new@example.es", "+34953000000", "es"), at=NOW
        )
        await directory.remember_order(order_id, customer, at=NOW)
        await directory.remember_order(order_id, uuid4(), at=NOW)
    async with SqlUnitOfWork(db) as uow:
        directory = SqlDirectory(uow.session)
        contacts = await directory.contacts({artisan, uuid4()})
        assert contacts == {artisan: Contact(artisan, "artisan", "new@example.es", "+34953000000", "es")}
        assert await directory.customer_of(order_id) == customer
        assert await directory.customer_of(uuid4()) is None
