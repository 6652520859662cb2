"""Binding the generated handler interfaces to FastStream pull subscribers.

One FastStream subscriber per durable consumer of the contract. FastStream binds to the consumer the
platform provisioned (`a4co streams apply`) and never declares the stream (`declare=False`): FastStream
would overwrite an existing stream's settings at start-up and ignore changes to a consumer. Every message
goes through the shared `Dispatcher`: undecodable and invalid messages are dead-lettered at once, failing
handlers are retried with the contract's backoff, and messages no handler of this service wants are acked.
"""

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from faststream import AckPolicy
from faststream.message import StreamMessage
from faststream.nats import JStream, NatsBroker, PullSub
from faststream.nats.annotations import NatsMessage

from .consuming import delivery_of
from .jetstream_config import consumer_config
from .sensitive import FieldCipher
from .subscribing import DeadLetterSink, Dispatcher, Route, settle

__all__ = ["register"]

log = logging.getLogger(__name__)


async def _raw_body(message: StreamMessage[Any]) -> bytes:
    """The dispatcher decodes and validates the body itself (and dead-letters what it cannot read)."""
    return message.body


def _handler(
    dispatcher: Dispatcher, dead_letters: DeadLetterSink | None
) -> Callable[[NatsMessage], Awaitable[None]]:
    async def handle(message: NatsMessage) -> None:
        outcome = await dispatcher.dispatch(delivery_of(message.raw_message))
        await settle(
            outcome,
            ack=message.ack,
            nak=lambda delay: message.nack(delay=delay),
            term=message.reject,
            dead_letters=dead_letters,
        )

    return handle


def register(
    broker: NatsBroker,
    service: str,
    routes: Mapping[str, Sequence[Route]],
    *,
    dead_letters: DeadLetterSink | None = None,
    cipher: FieldCipher | None = None,
    batch_size: int = 64,
) -> list[Any]:
    subscribers = []
    for consumer_routes in routes.values():
        consumer = consumer_routes[0].operation.consumer
        assert consumer is not None
        dispatcher = Dispatcher(service=service, consumer=consumer, routes=consumer_routes, cipher=cipher)
        subject = consumer.filter_subjects[0] if len(consumer.filter_subjects) == 1 else ">"
        subscriber = broker.subscriber(
            subject,
            stream=JStream(consumer.stream, declare=False),
            durable=consumer.name,
            pull_sub=PullSub(batch_size=batch_size, timeout=5.0),
            config=consumer_config(consumer),
            ack_policy=AckPolicy.MANUAL,
            decoder=_raw_body,
            title=f"{service}:{consumer.name}",
        )
        subscriber(_handler(dispatcher, dead_letters))
        subscribers.append(subscriber)
    return subscribers
