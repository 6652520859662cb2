"""A batch consumer: pull a durable JetStream consumer, process what arrived, settle every message.

FastStream's per-message path costs ~150 µs of Python per message on this kind of machine and its batch
subscriber waits until a batch is full or its timeout passes (latency at low rates). This loop asks
JetStream for up to `batch_size` messages and gets whatever is there at once (nats-py's fetch returns as
soon as one message arrives), so one message costs one round trip when traffic is low and batches form
by themselves when it is high. How a batch is processed is pluggable (`process`), so a service can run a
whole batch in one database transaction; by default each message goes through the `Dispatcher`.

Every message is settled: acked (processed or skipped), nak'ed with the contract's backoff delay, or
dead-lettered and terminated. A failure to settle is logged, never raised: the server redelivers.
"""

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError
from nats.errors import Error as NatsError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext

from .subscribing import DeadLetterSink, Delivery, Dispatcher, Outcome, Verdict, settle

__all__ = ["BatchConsumer", "ConsumerStats", "delivery_of"]

log = logging.getLogger(__name__)

ProcessBatch = Callable[[Sequence[Delivery]], Awaitable[Sequence[Outcome]]]


# Where the delivery count and the stream sequence are in a JetStream ack subject:
# $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending> (9 tokens), or the
# newer $JS.ACK.<domain>.<account hash>.<stream>.<consumer>.<delivered>.<stream seq>… (11 or 12 tokens).
_ACK_POSITIONS = {9: (4, 5), 11: (6, 7), 12: (6, 7)}


def delivery_of(msg: Msg) -> Delivery:
    attempt, sequence = _delivery_numbers(msg)
    return Delivery(
        subject=msg.subject,
        body=msg.data,
        headers=msg.headers or {},
        attempt=attempt or 1,
        stream_sequence=sequence,
    )


def _delivery_numbers(msg: Msg) -> tuple[int, int]:
    """(delivery count, stream sequence) read straight from the ack subject.

    nats-py's `msg.metadata` builds a timestamp and two more objects for it: 4 µs a message, more than
    routing it. Anything that does not look like an ack subject goes through nats-py (which raises).
    """
    tokens = msg.reply.split(".") if msg.reply else []
    positions = _ACK_POSITIONS.get(len(tokens))
    if positions is None or tokens[0] != "$JS" or tokens[1] != "ACK":
        metadata = msg.metadata
        return metadata.num_delivered, metadata.sequence.stream if metadata.sequence else 0
    delivered, sequence = positions
    return int(tokens[delivered]), int(tokens[sequence])


# nats-py tests every header name for whitespace one character at a time (`any(c.isspace() for c in
# key)`): 7 µs a message for the envelope's eleven headers, a tenth of a batch consumer's time.
# `_parse_header_lines` is nats-py's parser (2.16) with that one test made a regular expression over the
# same characters (the name is ASCII by then): the same dict in half the time. tests/codegen holds it to
# the installed nats-py's result, so an upgrade that parses differently fails there.
_NAME_SPACE = re.compile("[" + re.escape("".join(c for c in map(chr, range(128)) if c.isspace())) + "]")


def _parse_header_lines(raw: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in raw.split(b"\r\n"):
        name, colon, value = line.partition(b":")
        if not colon:  # an empty line too
            continue
        try:
            key = name.strip().decode("ascii")
        except UnicodeDecodeError:
            continue
        if not _NAME_SPACE.search(key):
            headers[key] = value.strip().decode("utf-8", "replace")
    return headers


def _parse_headers_faster(js: JetStreamContext) -> None:
    """Give the consumer's connection `_parse_header_lines`, where nats-py still parses with its own."""
    client = getattr(js, "_nc", None)
    own = NatsClient._parse_header_lines  # noqa: SLF001 - the one hook nats-py parses headers through
    if isinstance(client, NatsClient) and type(client)._parse_header_lines is own:  # noqa: SLF001 - idem
        vars(client)["_parse_header_lines"] = _parse_header_lines


@dataclass(slots=True)
class ConsumerStats:
    """Counters a service exposes as metrics."""

    received: int = 0
    acked: int = 0
    skipped: int = 0
    retried: int = 0
    dead_lettered: int = 0
    batches: int = 0
    last_batch_size: int = 0
    verdicts: dict[Verdict, int] = field(default_factory=dict)

    def count(self, verdict: Verdict) -> None:
        if verdict is Verdict.ACK:
            self.acked += 1
        elif verdict is Verdict.SKIP:
            self.skipped += 1
        elif verdict is Verdict.RETRY:
            self.retried += 1
        else:
            self.dead_lettered += 1


class BatchConsumer:
    """Consumes one durable pull consumer until stopped."""

    def __init__(
        self,
        js: JetStreamContext,
        dispatcher: Dispatcher,
        *,
        dead_letters: DeadLetterSink | None = None,
        process: ProcessBatch | None = None,
        batch_size: int = 256,
        fetch_timeout: float = 5.0,
    ) -> None:
        self._js = js
        self.dispatcher = dispatcher
        self._dead_letters = dead_letters
        self._process = process or self._one_by_one
        self._batch_size = batch_size
        self._fetch_timeout = fetch_timeout
        self._running = False
        self.stats = ConsumerStats()

    @property
    def name(self) -> str:
        return self.dispatcher.consumer.name

    async def _one_by_one(self, deliveries: Sequence[Delivery]) -> list[Outcome]:
        return [await self.dispatcher.dispatch(delivery) for delivery in deliveries]

    async def run(self) -> None:
        """Fetch and process until `stop()`; binds to the consumer the contract provisioned.

        The next batch is fetched while the current one is processed, so the round trip to the server
        overlaps the handlers' work (a database commit, mostly) instead of adding to it.
        """
        consumer = self.dispatcher.consumer
        _parse_headers_faster(self._js)
        subscription = await self._js.pull_subscribe_bind(durable=consumer.name, stream=consumer.stream)
        self._running = True
        fetching: asyncio.Task[list[Msg] | None] | None = None
        try:
            while self._running:
                if fetching is None:
                    fetching = asyncio.ensure_future(self._fetch(subscription))
                messages = await fetching
                fetching = None
                if messages is None:
                    break
                if not messages:
                    continue
                fetching = asyncio.ensure_future(self._fetch(subscription))
                await self.process(messages)
        finally:
            self._running = False
            if fetching is not None:
                fetching.cancel()
                with contextlib.suppress(asyncio.CancelledError, NatsError):
                    await fetching
            with contextlib.suppress(NatsError):  # the connection may already be closed
                await subscription.unsubscribe()

    async def _fetch(self, subscription: JetStreamContext.PullSubscription) -> list[Msg] | None:
        """The next batch; [] when none came in time; None when the connection is gone."""
        try:
            return await subscription.fetch(self._batch_size, timeout=self._fetch_timeout)
        except (TimeoutError, NatsTimeoutError):
            return []
        except ConnectionClosedError:
            return None
        except NatsError as exc:  # the server is restarting or the consumer is being updated
            log.warning("fetch from %s failed: %s; retrying", self.name, exc)
            await asyncio.sleep(0.5)
            return []

    async def process(self, messages: Sequence[Msg]) -> None:
        deliveries = [delivery_of(msg) for msg in messages]
        self.stats.received += len(messages)
        self.stats.batches += 1
        self.stats.last_batch_size = len(messages)
        outcomes = await self._process(deliveries)
        for msg, outcome in zip(messages, outcomes, strict=True):
            self.stats.count(outcome.verdict)
            await self._settle(msg, outcome)

    async def _settle(self, msg: Msg, outcome: Outcome) -> None:
        try:
            if outcome.verdict is Verdict.ACK:  # nearly every message: straight to the ack
                await msg.ack()
                return
            await settle(
                outcome,
                ack=msg.ack,
                nak=lambda delay: msg.nak(delay=delay),
                term=msg.term,
                dead_letters=self._dead_letters,
            )
        except NatsError as exc:
            # The message stays unacknowledged and JetStream redelivers it after ack_wait; handlers are
            # idempotent, so that is safe.
            log.warning("could not settle %s on %s: %s", msg.subject, self.name, exc)

    def stop(self) -> None:
        self._running = False
