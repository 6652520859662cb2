"""A whole batch of deliveries in one database transaction, for `BatchConsumer(process=…)`.

One commit per batch instead of one per message is what makes a SQL-backed consumer fast (on SQLite a
commit costs about as much as the work of a hundred small messages). Correctness does not depend on the
batch: every message id is claimed in the inbox in the same transaction as the handlers' effects, so a
redelivered message, or a second copy in the same batch, is acknowledged without running again.

The ids come from the headers, so the whole batch is claimed in one statement before any body is
decoded; each message is then decoded and handled in turn. One that turns out undecodable or invalid is
dead (retrying cannot fix it) and its claim is released in the same transaction, so that a replay from
the dead letter queue runs.

When a handler fails, the batch transaction rolls back and every message gets a transaction of its
own, so one bad message does not hold back the others: the failing one is retried with the contract's
backoff, or dead-lettered on its last delivery, exactly as `Dispatcher.dispatch` decides; it is not run
a second time for the same delivery. Handlers must therefore keep their effects inside the unit of work
(state through its session, messages through `publish`): a rolled-back run leaves nothing behind.
"""

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NamedTuple
from uuid import UUID

from a4co_sdk._runtime.envelope import ReceivedEnvelope
from a4co_sdk._runtime.errors import DecodeError
from a4co_sdk._runtime.subscribing import Delivery, Dispatcher, Outcome, Received, Route, Verdict

from .unit_of_work import UnitOfWork, use_unit_of_work

__all__ = ["transactional_batch"]

log = logging.getLogger(__name__)

ACK = Outcome(Verdict.ACK)
SKIP = Outcome(Verdict.SKIP)


class _Claimable(NamedTuple):
    """A delivery some handler wants, with the message id its headers carry (a tuple: built per message)."""

    position: int
    delivery: Delivery
    route: Route
    envelope: ReceivedEnvelope
    message_id: UUID


def transactional_batch(
    uow_factory: Callable[[], UnitOfWork], dispatcher: Dispatcher
) -> Callable[[Sequence[Delivery]], Awaitable[list[Outcome]]]:
    """`process(deliveries) -> outcomes` running the dispatcher's handlers in units from `uow_factory`."""

    async def process(deliveries: Sequence[Delivery]) -> list[Outcome]:
        batch = _Batch(dispatcher, deliveries)
        if batch.claimable:
            try:
                async with uow_factory() as uow:
                    await batch.run(uow)
            except Exception as exc:  # noqa: BLE001 - the batch falls back to one transaction per message
                await batch.one_by_one(uow_factory, exc)
        return batch.outcomes

    return process


class _Batch:
    """The deliveries of one `process` call, what becomes of each, and whose handler is running."""

    def __init__(self, dispatcher: Dispatcher, deliveries: Sequence[Delivery]) -> None:
        self.dispatcher = dispatcher
        self.consumer = dispatcher.consumer.name
        self.outcomes = [ACK] * len(deliveries)
        self.claimable: list[_Claimable] = []
        self.running: _Claimable | None = None
        for position, delivery in enumerate(deliveries):
            found = _claimable(dispatcher, position, delivery)
            if isinstance(found, Outcome):
                self.outcomes[position] = found
            else:
                self.claimable.append(found)

    async def run(self, uow: UnitOfWork) -> None:
        """Claim every id at once, then decode and handle the messages in turn, all in `uow`."""
        unprocessed = await uow.claim(self.consumer, [item.message_id for item in self.claimable])
        with use_unit_of_work(uow):
            for item in self.claimable:
                # Decoded one at a time, in the transaction: a whole batch of decoded messages alive at
                # once made the garbage collector's full passes the consumer's largest cost.
                received = _decode(self.dispatcher, item.route, item.delivery, item.envelope)
                if isinstance(received, Outcome):
                    self.outcomes[item.position] = received
                elif item.message_id in unprocessed:  # otherwise processed before: acknowledge again
                    unprocessed.discard(item.message_id)  # a second copy in this batch is a duplicate
                    self.running = item
                    await self.dispatcher.run(item.route, received)
                    self.running = None
        # Claimed, but every copy was dead: a replay from the dead letter queue must still run.
        await uow.release(self.consumer, unprocessed)

    async def one_by_one(self, uow_factory: Callable[[], UnitOfWork], exc: Exception) -> None:
        """After the batch's transaction failed (and rolled back): one transaction per message."""
        log.info(
            "%s: a batch of %d failed (%r); one message per transaction",
            self.consumer,
            len(self.claimable),
            exc,
        )
        for item in self.claimable:
            if item is self.running:  # it failed on this delivery already; do not run it twice
                self.outcomes[item.position] = _handler_failed(self.dispatcher, exc, item.delivery)
            else:
                self.outcomes[item.position] = await _alone(uow_factory, self.dispatcher, item)


def _claimable(dispatcher: Dispatcher, position: int, delivery: Delivery) -> _Claimable | Outcome:
    """Route and read the message id from the headers; an outcome when there is nothing to claim."""
    route = dispatcher.route_for(delivery.subject)
    if route is None:
        return SKIP
    envelope = dispatcher.envelope(route, delivery)
    if envelope.message_id is None:
        return _without_id(dispatcher, route, delivery, envelope)
    return _Claimable(position, delivery, route, envelope, envelope.message_id)


def _without_id(
    dispatcher: Dispatcher, route: Route, delivery: Delivery, envelope: ReceivedEnvelope
) -> Outcome:
    """Dead: what the decoder finds wrong with it, or else that it cannot be told from a redelivery."""
    received = _decode(dispatcher, route, delivery, envelope)
    if isinstance(received, Outcome):
        return received
    # Only possible when the contract gives the message no headers schema.
    error = DecodeError(
        f"{received.message.name} carries no message id: it cannot be told apart from a redelivery",
        kind="undecodable",
        subject=delivery.subject,
    )
    return Outcome(Verdict.DEAD, failure=dispatcher.failure("undecodable", error, delivery))


def _decode(
    dispatcher: Dispatcher, route: Route, delivery: Delivery, envelope: ReceivedEnvelope
) -> Received[Any] | Outcome:
    """The decoded message, or its dead outcome (retrying cannot fix it)."""
    try:
        return dispatcher.decode(route, delivery, envelope)
    except DecodeError as exc:
        return Outcome(Verdict.DEAD, failure=dispatcher.failure(exc.kind, exc, delivery))


async def _alone(uow_factory: Callable[[], UnitOfWork], dispatcher: Dispatcher, item: _Claimable) -> Outcome:
    """One message in its own transaction."""
    received = _decode(dispatcher, item.route, item.delivery, item.envelope)
    if isinstance(received, Outcome):
        return received
    try:
        async with uow_factory() as uow:
            if await uow.claim(dispatcher.consumer.name, [item.message_id]):
                with use_unit_of_work(uow):
                    await dispatcher.run(item.route, received)
    except Exception as exc:  # noqa: BLE001 - retried, then dead-lettered
        return _handler_failed(dispatcher, exc, item.delivery)
    return ACK


def _handler_failed(dispatcher: Dispatcher, exc: Exception, delivery: Delivery) -> Outcome:
    log.warning(
        "%s: %s failed on delivery %d: %r", dispatcher.consumer.name, delivery.subject, delivery.attempt, exc
    )
    return dispatcher.handler_failed(exc, delivery)
