"""Helpers for the service tests of user, loyalty and notification: reading a stream, redelivering."""

from typing import Any
from uuid import uuid4

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from a4co_sdk._runtime.publishing import NATS_MSG_ID, OutgoingMessage
from tests.services.harness import body


async def bodies(js: JetStreamContext, stream: str, subject: str) -> list[dict[str, Any]]:
    """Every message on `subject` still in `stream`, oldest first, as JSON."""
    state = (await js.stream_info(stream)).state
    found = []
    for sequence in range(state.first_seq, state.last_seq + 1):
        try:
            message = await js.get_msg(stream, sequence)
        except NotFoundError:
            continue
        if message.subject == subject:
            found.append(body(message))
    return found


async def send(js: JetStreamContext, message: OutgoingMessage) -> None:
    """Publish a prepared message as its publisher would."""
    await js.publish(message.subject, message.body, headers=dict(message.headers), stream=message.stream)


async def redeliver(js: JetStreamContext, message: OutgoingMessage) -> None:
    """The same message again (same event id) under a new `Nats-Msg-Id`, as a DLQ replay or a lost
    acknowledgement delivers it: JetStream stores it, the consumer's inbox must recognise it."""
    headers = {**message.headers, NATS_MSG_ID: str(uuid4())}
    await js.publish(message.subject, message.body, headers=headers, stream=message.stream)
