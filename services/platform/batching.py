"""A whole batch of deliveries in one database transaction, for `BatchConsumer(process=…)`.

One commit per batch instead of one per message is what makes a SQL-backed consumer fast (on SQLite a
commit costs about as much as the work of a hundred small messages). Correctness does not depend on the
batch: every message id is claimed in the inbox in the same transaction as the handlers' effects, so a
redelivered message, or a second copy in the same batch, is acknowledged without running again.

When a handler fails, the batch transaction rolls back and every message gets a transaction of its
own, so one bad message does not hold back the others: the failing one is retried with the contract's
backoff, or dead-lettered on its last delivery, exactly as `Dispatcher.dispatch` decides; it is not run
a second time for the same delivery. Handlers must therefore keep their effects inside the unit of work
(state through its session, messages through `publish`): a rolled-back run leaves nothing behind.
"""

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from a4co_sdk._runtime.errors import DecodeError
from a4co_sdk._runtime.subscribing import Delivery, Dispatcher, Outcome, Received, Route, Verdict

from .unit_of_work import UnitOfWork, use_unit_of_work

__all__ = ["transactional_batch"]

log = logging.getLogger(__name__)

ACK = Outcome(Verdict.ACK)


@dataclass(frozen=True, slots=True)
class _Work:
    """A decoded delivery waiting for its handler."""

    index: int
    route: Route
    received: Received[Any]
    message_id: UUID


def transactional_batch(
    uow_factory: Callable[[], UnitOfWork], dispatcher: Dispatcher
) -> Callable[[Sequence[Delivery]], Awaitable[list[Outcome]]]:
    """`process(deliveries) -> outcomes` running the dispatcher's handlers in units from `uow_factory`."""
    consumer = dispatcher.consumer.name

    async def process(deliveries: Sequence[Delivery]) -> list[Outcome]:
        outcomes = [ACK] * len(deliveries)
        work: list[_Work] = []
        for index, delivery in enumerate(deliveries):
            prepared = _prepare(dispatcher, index, delivery)
            if isinstance(prepared, Outcome):
                outcomes[index] = prepared
            else:
                work.append(prepared)
        if not work:
            return outcomes
        failing: _Work | None = None
        try:
            async with uow_factory() as uow:
                claimed = await uow.claim(consumer, [w.message_id for w in work])
                for item in work:
                    if item.message_id in claimed:  # otherwise processed before: acknowledge again
                        claimed.discard(item.message_id)  # a second copy in this batch is a duplicate too
                        failing = item
                        await _handle(uow, dispatcher, item)
                        failing = None
        except Exception as exc:  # noqa: BLE001 - the batch falls back to one transaction per message
            log.info("%s: a batch of %d failed (%r); one message per transaction", consumer, len(work), exc)
            for item in work:
                if item is failing:  # it failed on this delivery already; do not run it twice
                    outcomes[item.index] = _handler_failed(dispatcher, exc, item.received.delivery)
                else:
                    outcomes[item.index] = await _alone(uow_factory, dispatcher, item)
        return outcomes

    return process


def _prepare(dispatcher: Dispatcher, index: int, delivery: Delivery) -> _Work | Outcome:
    """Route and decode; an outcome when there is nothing to handle."""
    prepared = dispatcher.prepare(delivery)
    if isinstance(prepared, Outcome):
        return prepared
    route, received = prepared
    message_id = received.envelope.message_id
    if message_id is None:  # only possible when the contract gives the message no headers schema
        error = DecodeError(
            f"{received.message.name} carries no message id: it cannot be told apart from a redelivery",
            kind="undecodable",
            subject=delivery.subject,
        )
        return Outcome(Verdict.DEAD, failure=dispatcher.failure("undecodable", error, delivery))
    return _Work(index, route, received, message_id)


async def _handle(uow: UnitOfWork, dispatcher: Dispatcher, item: _Work) -> None:
    with use_unit_of_work(uow):
        await dispatcher.run(item.route, item.received)


async def _alone(uow_factory: Callable[[], UnitOfWork], dispatcher: Dispatcher, item: _Work) -> Outcome:
    """One message in its own transaction."""
    try:
        async with uow_factory() as uow:
            if await uow.claim(dispatcher.consumer.name, [item.message_id]):
                await _handle(uow, dispatcher, item)
    except Exception as exc:  # noqa: BLE001 - retried, then dead-lettered
        return _handler_failed(dispatcher, exc, item.received.delivery)
    return ACK


def _handler_failed(dispatcher: Dispatcher, exc: Exception, delivery: Delivery) -> Outcome:
    log.warning(
        "%s: %s failed on delivery %d: %r", dispatcher.consumer.name, delivery.subject, delivery.attempt, exc
    )
    return dispatcher.handler_failed(exc, delivery)
