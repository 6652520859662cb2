"""Event store fixtures: the contract's ES_ORDERS and ORDERS streams on the session's nats-server.

The streams are created from the contract's `StreamSpec`s (replicas clamped to the single test server);
the `js` fixture deletes them, and the relay's consumer with them, after each test.
`es_orders` is parametrised: with `allow_direct` (batched direct gets, what the contract asks for) and
without (reads from the stream leader, as for a stream provisioned without it).
"""

import dataclasses
from uuid import uuid4

import orjson
import pytest
from nats.js import JetStreamContext

from a4co_sdk._runtime.jetstream_config import stream_config
from a4co_sdk._runtime.publishing import NATS_MSG_ID, OutgoingMessage
from a4co_sdk._runtime.specs import StreamSpec
from a4co_sdk.streams import ES_ORDERS_STREAM, ORDERS_STREAM
from services.platform.eventstore import EventStore


async def create_stream(js: JetStreamContext, spec: StreamSpec, *, allow_direct: bool = False) -> str:
    config = dataclasses.replace(stream_config(spec, replicas=1), allow_direct=allow_direct or None)
    await js.add_stream(config)
    return spec.name


@pytest.fixture(params=["direct", "leader"])
async def es_orders(request: pytest.FixtureRequest, js: JetStreamContext) -> str:
    return await create_stream(js, ES_ORDERS_STREAM, allow_direct=request.param == "direct")


@pytest.fixture
async def es_orders_direct(js: JetStreamContext) -> str:
    return await create_stream(js, ES_ORDERS_STREAM, allow_direct=True)


@pytest.fixture
async def orders(js: JetStreamContext) -> str:
    return await create_stream(js, ORDERS_STREAM)


@pytest.fixture
def store(js: JetStreamContext, es_orders: str) -> EventStore:
    return EventStore(js, ES_ORDERS_STREAM, "es.order")


def outgoing(subject: str, stream: str, **fields: object) -> OutgoingMessage:
    """A message as `Publisher.prepare()` leaves it (relay mechanics need no contract payload)."""
    message_id = uuid4()
    body = orjson.dumps({"at": subject, **fields})
    headers = {"event-id": str(message_id), "event-name": subject, NATS_MSG_ID: str(message_id)}
    return OutgoingMessage(subject, body, headers, message_id, stream)


def new_id() -> str:
    return str(uuid4())
