"""The payments view (`payment_view`): a row per payment, fed by the event store, read by the timer.

The timer must find the payments still processing after a restart, and an order's modification must find
the order's payment; the event store answers neither question (it is read by aggregate id). This view
answers both. It is a projection: `PaymentsProjector` follows ES_PAYMENTS with its own durable consumer
(`payment-projection`, private infrastructure like the relay's, created when missing) and, for every
commit, writes the payment's current summary as the aggregate stands (loaded through the repository,
whose cache makes that cheap). A row only moves forward: it is written when the commit's stream sequence
is newer than the row's, so a redelivered old commit changes nothing. To rebuild it, delete the rows and
the consumer: the projector starts again from the first commit.

The view may lag the store by a moment; every decision is still taken on the aggregate itself, so a
stale row costs at most one useless look (the timer finds the payment no longer due) or one retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError
from nats.errors import Error as NatsError
from nats.js import JetStreamContext, api
from nats.js.errors import NotFoundError
from sqlalchemy import BigInteger, Column, Index, Numeric, String, Table, Uuid, select

from services.payment.application.ports import PaymentsIndex
from services.payment.domain.payment import Payment
from services.platform.database import Database, UtcDateTime, dialect_insert, metadata
from services.platform.eventstore import EventStoreError, Repository

__all__ = ["PROJECTION_CONSUMER", "PaymentsProjector", "SqlPaymentsIndex", "payments"]

log = logging.getLogger(__name__)

PROJECTION_CONSUMER = "payment-projection"

payments = Table(
    "payment_view",
    metadata,
    Column("payment_id", Uuid, primary_key=True),
    Column("order_id", Uuid, index=True),
    Column("customer_id", Uuid),
    Column("status", String(16), nullable=False),
    Column("amount", Numeric(12, 2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("captured", Numeric(12, 2), nullable=False),
    Column("refunded", Numeric(12, 2), nullable=False),
    Column("attempt", BigInteger, nullable=False),
    Column("next_attempt_at", UtcDateTime),
    Column("sequence", BigInteger, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index(None, "status", "next_attempt_at"),
)


def summary(payment_: Payment) -> dict[str, object]:
    return {
        "payment_id": payment_.payment_id,
        "order_id": payment_.order_id,
        "customer_id": payment_.customer_id,
        "status": payment_.status,
        "amount": payment_.amount,
        "currency": payment_.currency,
        "captured": payment_.captured,
        "refunded": payment_.refunded,
        "attempt": payment_.attempt,
        "next_attempt_at": payment_.next_attempt_at,
        "sequence": payment_.sequence,
        "updated_at": payment_.updated_at or datetime.now(UTC),
    }


async def write_summaries(db: Database, summaries: Sequence[dict[str, object]]) -> None:
    """Upsert rows, each only over an older one (by stream sequence)."""
    if not summaries:
        return
    async with db.transaction() as session:
        statement = dialect_insert(session, payments)
        statement = statement.on_conflict_do_update(
            index_elements=[payments.c.payment_id],
            set_={name: statement.excluded[name] for name in summaries[0] if name != "payment_id"},
            where=payments.c.sequence < statement.excluded.sequence,
        )
        await session.execute(statement, list(summaries))


class SqlPaymentsIndex(PaymentsIndex):
    def __init__(self, db: Database) -> None:
        self._db = db

    async def payment_of_order(self, order_id: UUID) -> UUID | None:
        async with self._db.transaction(read_only=True) as session:
            found: UUID | None = (
                await session.execute(
                    select(payments.c.payment_id)
                    .where(payments.c.order_id == order_id)
                    .order_by(payments.c.updated_at.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
        return found

    async def due(self, now: datetime, limit: int) -> Sequence[UUID]:
        async with self._db.transaction(read_only=True) as session:
            rows = await session.execute(
                select(payments.c.payment_id)
                .where(payments.c.status == "processing", payments.c.next_attempt_at <= now)
                .order_by(payments.c.next_attempt_at)
                .limit(limit)
            )
            return list(rows.scalars())


class PaymentsProjector:
    """Follows ES_PAYMENTS and keeps the payments view; run it as one background task per process."""

    def __init__(
        self,
        js: JetStreamContext,
        db: Database,
        repository: Repository[Payment],
        *,
        stream: str = "ES_PAYMENTS",
        consumer: str = PROJECTION_CONSUMER,
        batch: int = 256,
        poll: float = 1.0,
        ack_wait: float = 30.0,
    ) -> None:
        self._js = js
        self._db = db
        self._repository = repository
        self.stream = stream
        self.consumer = consumer
        self._batch = batch
        self._poll = poll
        self._ack_wait = ack_wait
        self.commits = 0
        self.failures = 0

    async def ensure_consumer(self) -> None:
        try:
            await self._js.consumer_info(self.stream, self.consumer)
        except NotFoundError:
            await self._js.add_consumer(
                self.stream,
                api.ConsumerConfig(
                    name=self.consumer,
                    durable_name=self.consumer,
                    description="Payments view of the payment service; not a contract consumer",
                    deliver_policy=api.DeliverPolicy.ALL,
                    ack_policy=api.AckPolicy.EXPLICIT,
                    ack_wait=self._ack_wait,
                    max_deliver=-1,
                    max_ack_pending=10_000,
                ),
            )

    async def run(self) -> None:
        await self.ensure_consumer()
        subscription = await self._js.pull_subscribe_bind(consumer=self.consumer, stream=self.stream)
        try:
            while True:
                try:
                    messages = await subscription.fetch(self._batch, timeout=self._poll)
                except TimeoutError:
                    continue
                except ConnectionClosedError:
                    raise
                except NatsError as exc:
                    log.warning("payments view: fetch failed (%s); retrying", exc)
                    await asyncio.sleep(0.5)
                    continue
                await self.project(messages)
        finally:
            with contextlib.suppress(NatsError):
                await subscription.unsubscribe()

    async def project(self, messages: Sequence[Msg]) -> None:
        """Write the current summary of every payment the commits touched, then acknowledge them."""
        newest: dict[str, int] = {}
        for msg in messages:
            newest[msg.subject.rsplit(".", 1)[-1]] = msg.metadata.sequence.stream
        summaries = []
        for payment_id, sequence in newest.items():
            try:
                current = await self._repository.find(payment_id)
                if current is not None and current.sequence < sequence:  # cached before this commit
                    self._repository.invalidate(payment_id)
                    current = await self._repository.find(payment_id)
            except (EventStoreError, ValueError) as exc:
                # A payment that cannot be read cannot be projected (nor decided on): say so, go on.
                self.failures += 1
                log.error("payments view: payment %s cannot be read: %s", payment_id, exc)  # noqa: TRY400
                continue
            if current is not None:
                summaries.append(summary(current))
        await write_summaries(self._db, summaries)
        for msg in messages:
            with contextlib.suppress(NatsError):
                await msg.ack()
        self.commits += len(messages)
