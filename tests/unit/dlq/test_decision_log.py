"""The SQL decision log on SQLite: what a restart finds, what is due, what is kept."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from services.dlq.adapters.decisions import SqlDecisionLog, open_decision_log
from services.dlq.application.handlers import triage_dead_letter
from services.dlq.application.ports import Triaged
from services.dlq.domain.redelivery import Redelivery
from services.dlq.domain.triage import Alert, AlertReason, Retry
from services.platform import inbox, outbox  # noqa: F401 - registers the platform's tables
from services.platform.database import Database
from services.platform.unit_of_work import SqlUnitOfWork

from .builders import POLICY, letter

T0 = datetime(2026, 11, 20, 10, 15, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(f"sqlite+aiosqlite:///{tmp_path / 'dlq.db'}", schema="dlq")
    await database.create_all()
    yield database
    await database.close()


def retry(seq: int, due: datetime) -> Triaged:
    return Triaged(
        dlq_sequence=seq,
        dead_letter_id=uuid4(),
        original_subject="payment.requested.v1",
        service="payment",
        consumer="payment-on-payment-requested",
        kind="handler_error",
        error_name="TimeoutError",
        error_message="no answer",
        event_id="e1",
        decision=Retry(2, due, "e1.retry.2"),
        decided_at=T0,
        redelivery=Redelivery(
            "payment.requested.v1", b"\x00{}", {"event-id": "e1", "Nats-Msg-Id": "e1.retry.2"}
        ),
    )


def alert(seq: int, at: datetime = T0) -> Triaged:
    return Triaged(
        dlq_sequence=seq,
        dead_letter_id=None,
        original_subject="order.created.v1",
        service="inventory",
        consumer="inventory-on-order-created",
        kind="invalid",
        error_name="DecodeError",
        error_message="x" * 5000,
        event_id=None,
        decision=Alert(AlertReason.INVALID, 0),
        decided_at=at,
    )


async def test_decisions_come_back_as_they_were_written(db: Database) -> None:
    written = [retry(88231, T0 + timedelta(seconds=30)), alert(88232)]
    async with open_decision_log(db) as log:
        for triaged in written:
            await log.add(triaged)
    async with open_decision_log(db) as log:
        assert [await log.get(88231), await log.get(88232), await log.get(1)] == [*written, None]


async def test_due_decisions_oldest_first_and_done_ones_left_out(db: Database) -> None:
    async with open_decision_log(db) as log:
        await log.add(retry(3, T0 + timedelta(seconds=60)))
        await log.add(alert(2, T0 + timedelta(seconds=10)))
        await log.add(alert(1, T0 + timedelta(seconds=10)))
        await log.add(retry(4, T0 + timedelta(hours=1)))
    async with open_decision_log(db) as log:
        due = await log.due(T0 + timedelta(minutes=5), limit=10)
        assert [t.dlq_sequence for t in due] == [1, 2, 3]
        assert [t.dlq_sequence for t in await log.due(T0 + timedelta(minutes=5), limit=2)] == [1, 2]
        await log.mark_done([1, 3], T0 + timedelta(minutes=5))
        await log.postpone(4, T0 + timedelta(hours=2))
    async with open_decision_log(db) as log:
        assert [t.dlq_sequence for t in await log.due(T0 + timedelta(hours=1), limit=10)] == [2]
        done = await log.get(3)
        assert done is not None
        assert done.done_at == T0 + timedelta(minutes=5)
        assert done.redelivery is None  # a published retry's message is not kept
        postponed = await log.get(4)
        assert postponed is not None
        assert postponed.due_at == T0 + timedelta(hours=2)


async def test_prune_forgets_only_what_was_carried_out_before_the_cutoff(db: Database) -> None:
    async with open_decision_log(db) as log:
        await log.add(alert(1))
        await log.add(alert(2))
        await log.add(retry(3, T0))
        await log.mark_done([1], T0)
        await log.mark_done([2], T0 + timedelta(days=10))
    async with open_decision_log(db) as log:
        assert await log.prune(T0 + timedelta(days=1)) == 1
    async with open_decision_log(db) as log:
        assert [await log.get(1) is None, await log.get(2) is None, await log.get(3) is None] == [
            True,
            False,
            False,
        ]


async def test_after_a_restart_a_dead_letter_delivered_again_is_not_retried_twice(db: Database) -> None:
    """The processor's state is its database: a second process finds the first decision."""
    message = letter()
    for attempt in range(2):  # two runs of the handler, as before and after a restart
        async with SqlUnitOfWork(db) as uow:
            await triage_dead_letter(
                message,
                dlq_sequence=17,
                dead_letter_id=uuid4(),
                decisions=SqlDecisionLog(uow.session),
                policy=POLICY,
                now=T0 + timedelta(minutes=attempt),
            )
    async with open_decision_log(db) as log:
        due = await log.due(T0 + timedelta(hours=1), limit=10)
    assert len(due) == 1
    assert due[0].decided_at == T0
