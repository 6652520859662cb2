"""The transactional outbox: messages are stored with the state change that caused them, then relayed.

A handler does not publish to JetStream directly: a crash between its commit and its publish would lose
the message, and a publish before a rollback would announce something that never happened. It `stage`s
the message in its own transaction instead, and `OutboxRelay` publishes what was committed.

Delivery is at least once, and duplicates stop at JetStream: every message carries its id as
`Nats-Msg-Id`, so when the relay crashes (or is cancelled) after JetStream stored a message but before
it deleted the row, the republished copy is dropped by the stream as long as it arrives inside the
stream's duplicate window (2 minutes by default). A relay down for longer than the window republishes
real duplicates, which the consumers' inboxes recognise.
"""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import PubAck
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    String,
    Table,
    Uuid,
    delete,
    func,
    select,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from a4co_sdk._runtime.publishing import NATS_MSG_ID, OutgoingMessage

from .database import Database, UtcDateTime, dialect_insert, metadata

__all__ = ["OutboxRelay", "RelayStats", "RoundResult", "outbox", "stage", "stage_all"]

log = logging.getLogger(__name__)

outbox = Table(
    "outbox",
    metadata,
    # INTEGER PRIMARY KEY AUTOINCREMENT on SQLite (never reused), an identity bigint on PostgreSQL.
    Column("position", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("message_id", Uuid, nullable=False, unique=True),
    Column("subject", String(255), nullable=False),
    Column("stream", String(255), nullable=False),
    Column("headers", JSON, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    sqlite_autoincrement=True,
)


async def stage(session: AsyncSession, message: OutgoingMessage) -> None:
    """Store `message` for publishing when the caller's transaction commits."""
    await stage_all(session, [message])


async def stage_all(session: AsyncSession, messages: Sequence[OutgoingMessage]) -> None:
    """Store `messages` in this order, in one INSERT; a message id already staged is left as it is.

    Staging is idempotent: the message id is unique, so a retried handler that stages the same message
    (same id) again adds nothing.
    """
    if not messages:
        return
    now = datetime.now(UTC)
    rows = [
        {
            "message_id": m.message_id,
            "subject": m.subject,
            "stream": m.stream,
            "headers": m.headers,
            "body": m.body,
            "created_at": now,
        }
        for m in messages
    ]
    statement = dialect_insert(session, outbox).on_conflict_do_nothing(index_elements=[outbox.c.message_id])
    await session.execute(statement, rows)


@dataclass(slots=True)
class RelayStats:
    """Counters a service exposes as metrics."""

    published: int = 0
    """Rows JetStream acknowledged (and the relay then deleted)."""
    duplicates: int = 0
    """Of those, how many JetStream had already stored (a republish after a crash)."""
    failed: int = 0
    """Publish attempts that failed; the rows stay for a later round."""
    pending: int = 0
    """Rows in the outbox after the last round."""
    rounds: int = 0


@dataclass(frozen=True, slots=True)
class RoundResult:
    """What one round did: rows read, published (and deleted), failed (kept)."""

    read: int
    published: int
    failed: int


class OutboxRelay:
    """Publishes committed outbox rows to JetStream in position order and deletes what was stored.

    Runs as a background task (`run()` until cancelled). `wake()` after a commit makes it publish at once;
    a sweep every `interval` seconds is the safety net for commits nobody announced (another process,
    a crash). Rows of one round are pipelined on one connection and stored in position order. A failed
    publish leaves its row for the next round, after a backoff that doubles up to `max_backoff`; rows
    published in the same round are deleted, so one failing subject does not hold the others back
    (a failed row is then stored after rows staged later than it).
    """

    def __init__(
        self,
        db: Database,
        js: JetStreamContext,
        *,
        batch: int = 500,
        interval: float = 0.5,
        timeout: float = 5.0,
        max_backoff: float = 5.0,
    ) -> None:
        self._db = db
        self._js = js
        self._batch = batch
        self._interval = interval
        self._timeout = timeout
        self._max_backoff = max_backoff
        self._wake = asyncio.Event()
        self.stats = RelayStats()

    def wake(self) -> None:
        """Publish now: a transaction that staged messages has committed."""
        self._wake.set()

    async def run(self) -> None:
        """Relay until cancelled."""
        failures = 0
        while True:
            self._wake.clear()  # a commit from now on wakes the next wait
            try:
                result = await self.relay_once()
            except Exception:  # the database is unreachable: try again later
                log.exception("outbox relay round failed")
                result = None
            if result is None or result.failed:
                failures += 1
                # Sleep through wake-ups: commits would otherwise hammer a failing stream.
                await asyncio.sleep(min(self._interval * 2 ** (failures - 1), self._max_backoff))
                continue
            failures = 0
            if result.read < self._batch:  # a full batch means more may be waiting
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._interval)

    async def relay_once(self) -> RoundResult:
        """One round: read up to `batch` rows, publish them, delete the ones JetStream stored."""
        async with self._db.transaction(read_only=True) as session:
            rows = (
                await session.execute(select(outbox).order_by(outbox.c.position).limit(self._batch))
            ).all()
        self.stats.rounds += 1
        if not rows:
            self.stats.pending = 0
            return RoundResult(0, 0, 0)
        acks = await self._publish(rows)
        stored = [row.position for row, ack in zip(rows, acks, strict=True) if ack is not None]
        failed = len(rows) - len(stored)
        if stored:
            await self._forget(stored)
        self.stats.published += len(stored)
        self.stats.duplicates += sum(1 for ack in acks if ack is not None and ack.duplicate)
        self.stats.failed += failed
        self.stats.pending = await self._count() if failed or len(rows) == self._batch else 0
        return RoundResult(len(rows), len(stored), failed)

    async def _publish(self, rows: Sequence[Row[Any]]) -> list[PubAck | None]:
        """Pipeline every row on the connection, then wait for all acknowledgements (None: not stored).

        Pipelining is about 3x faster than one request at a time (measured: ~45 µs against ~160 µs a
        message in rounds of 500), and one connection keeps the rows in position order.
        """
        futures: list[asyncio.Future[PubAck]] = []
        try:
            # No wait_stall: with one, nats-py yields to the event loop on every message, which flushes
            # the socket once per message. The whole loop is bounded instead.
            async with asyncio.timeout(self._timeout):
                for row in rows:
                    headers = self._headers(row)
                    sent = await self._js.publish_async(
                        row.subject, row.body, headers=headers, stream=row.stream
                    )
                    futures.append(sent)
        except (NatsError, TimeoutError) as exc:  # connection gone or stalled: the rest waits a round
            log.warning("outbox: publishing stopped after %d of %d: %r", len(futures), len(rows), exc)
        acks: list[PubAck | None] = [None] * len(rows)
        if not futures:
            return acks
        _, unanswered = await asyncio.wait(futures, timeout=self._timeout)
        for future in unanswered:
            future.cancel()  # frees nats-py's slot for it
        for i, future in enumerate(futures):
            if future.cancelled():
                continue
            if (error := future.exception()) is not None:
                log.warning("outbox: %s (%s) not stored: %r", rows[i].subject, rows[i].message_id, error)
            else:
                acks[i] = future.result()
        await self._ask_again(rows, [i for i, f in enumerate(futures) if f in unanswered], acks)
        return acks

    async def _ask_again(
        self, rows: Sequence[Row[Any]], indexes: Sequence[int], acks: list[PubAck | None]
    ) -> None:
        """Publish unanswered rows one at a time, within one more `timeout`.

        nats-py (2.16, nats.py#985) never resolves a pipelined publish that JetStream answers with an
        error (wrong expected stream, stream full): the future stays pending. A plain request raises the
        error instead. A row that was stored and only answered late comes back as a duplicate.
        """
        try:
            async with asyncio.timeout(self._timeout):
                for i in indexes:
                    row = rows[i]
                    try:
                        acks[i] = await self._js.publish(
                            row.subject, row.body, headers=self._headers(row), stream=row.stream
                        )
                    except NatsError as exc:
                        log.warning("outbox: %s (%s) not stored: %r", row.subject, row.message_id, exc)
        except TimeoutError:
            log.warning("outbox: JetStream does not answer; %d rows wait for the next round", len(indexes))

    @staticmethod
    def _headers(row: Row[Any]) -> dict[str, str]:
        # A fresh dict each time: nats-py adds Nats-Expected-Stream to the one it is given.
        return {**row.headers, NATS_MSG_ID: str(row.message_id)}

    async def _forget(self, positions: Sequence[int]) -> None:
        """Delete rows JetStream stored. A crash before this republishes them: JetStream drops the copies."""
        async with self._db.transaction() as session:
            await session.execute(delete(outbox).where(outbox.c.position.in_(positions)))

    async def _count(self) -> int:
        async with self._db.transaction(read_only=True) as session:
            return (await session.execute(select(func.count()).select_from(outbox))).scalar_one()
