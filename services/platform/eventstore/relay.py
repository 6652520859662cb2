"""The relay: publishes the outbox of every stored commit to the public streams, in stream order.

It follows the event store stream with a durable pull consumer named by the service (`order-relay`).
That consumer is the service's private infrastructure, like the stream: it is not a contract consumer,
receives no channel and is not declared in `x-jetstream`; the relay creates it when it is missing
(deliver all, explicit ack, `ack_wait` 30 s, unlimited deliveries: a commit is never given up on).

For each fetched batch of commits it pipelines the outbox messages (`publish_async`, with the message id
as `Nats-Msg-Id` and the contract's stream as `Nats-Expected-Stream`), waits for JetStream's
acknowledgements, and only then acknowledges each commit whose messages were all stored. A commit is
never acknowledged before its whole outbox is.

Delivery is at least once; duplicates stop at JetStream. A relay that dies between publishing and
acknowledging leaves the commit unacknowledged; it is delivered again after `ack_wait` and re-published,
and the stream drops the copy because its `Nats-Msg-Id` was seen inside the duplicate window (2 min on
the contract's streams). So for no duplicates at all, a restarted relay must catch up within the window:
at most `ack_wait` (30 s) passes before the redelivery, which leaves 90 s to publish the backlog.
Measured on this machine (one nats-server, 2 cores): about 10k msgs/s for commits of one message each,
7k msgs/s with three per commit, 5k/s for a single hot aggregate, so some 450k-900k messages fit in those
90 s. Past the window a copy gets through, and consumers, idempotent by event id, drop it.

Order. Messages are sent in stream order on one connection, so in the absence of failures each public
stream holds them in commit order. Under failures the relay keeps the order per aggregate, which is the
order consumers rely on (an order's `created` before its `state.changed`):
- at most one message per aggregate is unacknowledged at a time: a message waits for the previous one
  of its aggregate to be stored, and a failure holds back every later message of that aggregate, while
  other aggregates go on (pipelined across aggregates, never within one);
- a failed message is retried in process, with backoff, before the relay fetches further commits; the
  held commits are kept with `in_progress()` so JetStream does not hand them out again meanwhile;
- after a crash, commits the dead relay had in flight are redelivered only after `ack_wait`; a new relay
  that fetched at once would publish newer commits of the same aggregate first. So when the consumer
  has unacknowledged commits at start, the relay waits until they are due again (at most `ack_wait`).
  A graceful `stop()` finishes the batch in hand, so a normal restart does not wait.
Run ONE relay per consumer: two relays on one durable consumer split the commits between them and
lose that per-aggregate order (still nothing lost, nothing duplicated inside the window).

A commit that cannot be published (its stream does not exist, JetStream refuses it) is retried until
it can: it is never dropped. Its aggregate waits; `stats.failures`, `stats.last_error` and `lag()` tell
the operators. A stored message that is not a commit at all is terminated and counted (`malformed`). A
commit in a newer format than this code reads stops the relay with `NewerFormatError` and stays
unacknowledged: an old relay left running during a rolling deploy must not drop what it cannot read.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError
from nats.errors import Error as NatsError
from nats.js import JetStreamContext, api
from nats.js.errors import NotFoundError

from a4co_sdk._runtime.publishing import NATS_MSG_ID
from a4co_sdk._runtime.specs import StreamSpec

from .commit import Commit, NewerFormatError, OutboxMessage

__all__ = ["OnRelayed", "Relay", "RelayConfig", "RelayStats", "RelayedCommit"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RelayConfig:
    """How the relay fetches and publishes, and the consumer it creates when missing."""

    batch: int = 256
    """Commits fetched per pull request."""
    poll: float = 1.0
    """How long one pull request waits for new commits."""
    publish_timeout: float = 5.0
    """How long to wait for JetStream to acknowledge the messages of one round."""
    backoff: float = 0.1
    """First pause after a round with failures; doubles each round up to `max_backoff`."""
    max_backoff: float = 5.0
    ack_wait: float = 30.0
    """For a created consumer: how long a delivered commit may stay unacknowledged."""
    max_ack_pending: int = 1000
    """For a created consumer: commits delivered and not yet acknowledged, at most."""


@dataclass(slots=True)
class RelayStats:
    """Counters a service exposes as metrics."""

    commits: int = 0
    """Commits whose whole outbox is stored, acknowledged."""
    messages: int = 0
    """Outbox messages JetStream acknowledged."""
    duplicates: int = 0
    """Of those, how many the stream had already stored (a re-publish after a crash or a lost ack)."""
    failures: int = 0
    """Publish attempts that failed; their commits are retried."""
    redelivered: int = 0
    """Commits delivered more than once (a relay died or was too slow)."""
    malformed: int = 0
    """Messages of the event store stream that are not commits; terminated."""
    hook_errors: int = 0
    """Exceptions raised by the `on_relayed` callback (logged, the relay goes on)."""
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class RelayedCommit:
    """A commit whose outbox is stored: its sequence in the event store and JetStream's acks."""

    commit: Commit
    sequence: int
    acks: tuple[api.PubAck, ...]


OnRelayed = Callable[[RelayedCommit], Awaitable[None]]


@dataclass(slots=True)
class _InFlight:
    msg: Msg
    commit: Commit
    sequence: int
    acks: list[api.PubAck | None] = field(default_factory=list)

    @property
    def stored(self) -> bool:
        return all(ack is not None for ack in self.acks)


class Relay:
    """Publishes the outboxes of an event store stream through a durable pull consumer."""

    def __init__(
        self,
        js: JetStreamContext,
        stream: StreamSpec | str,
        consumer: str,
        *,
        config: RelayConfig | None = None,
        on_relayed: OnRelayed | None = None,
        before_ack: OnRelayed | None = None,
    ) -> None:
        """`on_relayed` runs after each commit is acknowledged (the service learns it went out).

        `before_ack` runs after a commit's outbox is stored and before the commit is acknowledged: work
        that must happen at least once per commit (a crash re-relays the commit and runs it again), such
        as indexing the aggregate's next deadline. It is also the window a crash test aims at.
        """
        self._js = js
        self.stream = stream.name if isinstance(stream, StreamSpec) else stream
        self.consumer = consumer
        self.config = config or RelayConfig()
        self._on_relayed = on_relayed
        self._before_ack = before_ack
        self.stats = RelayStats()
        self._sub: JetStreamContext.PullSubscription | None = None
        self._ack_wait = self.config.ack_wait
        self._stopping = False
        self._fetching = False
        self._task: asyncio.Task[None] | None = None

    # -- running -------------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Relay until cancelled or stopped."""
        await self._prepare()
        failures = 0
        try:
            while not self._stopping:
                try:
                    batch = await self._fetch(self.config.poll)
                    if batch:
                        await self._relay(batch)
                    failures = 0
                except ConnectionClosedError:
                    raise
                except NatsError as exc:  # a reconnect, a leader election: try again shortly
                    failures += 1
                    self._failed(f"fetching from {self.stream}/{self.consumer}: {exc}")
                    await asyncio.sleep(self._pause(failures))
        finally:
            await self.close()  # no pull request of a stopped relay may capture commits

    def start(self) -> "asyncio.Task[None]":
        """Run in a background task."""
        self._stopping = False
        self._task = asyncio.create_task(self.run(), name=f"relay {self.consumer}")
        return self._task

    async def stop(self, grace: float = 10.0) -> None:
        """Stop after the batch in hand (up to `grace` seconds), so a restart need not wait for redelivery."""
        task, self._task = self._task, None
        self._stopping = True
        if task is None:
            return
        if self._fetching:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, grace)
        await self.close()

    async def close(self) -> None:
        """Drop the pull subscription (the consumer stays on the server)."""
        sub, self._sub = self._sub, None
        if sub is not None:
            with contextlib.suppress(NatsError):
                await sub.unsubscribe()

    async def relay_available(self, poll: float = 0.2) -> int:
        """Relay the commits there are now, until a pull finds none; returns how many were relayed."""
        await self._prepare()
        before = self.stats.commits
        while batch := await self._fetch(poll):
            await self._relay(batch)
        return self.stats.commits - before

    async def lag(self) -> int:
        """Commits not relayed yet: not delivered to the relay, or delivered and not acknowledged."""
        info = await self._js.consumer_info(self.stream, self.consumer)
        return (info.num_pending or 0) + (info.num_ack_pending or 0)

    # -- consumer ------------------------------------------------------------------------------------------

    async def ensure_consumer(self) -> api.ConsumerInfo:
        """The relay's durable consumer, created when missing."""
        try:
            info: api.ConsumerInfo = await self._js.consumer_info(self.stream, self.consumer)
        except NotFoundError:
            pass
        else:
            return info
        config = api.ConsumerConfig(
            name=self.consumer,
            durable_name=self.consumer,
            description=(
                f"Relay of the {self.stream} event store: service infrastructure, not a contract consumer"
            ),
            deliver_policy=api.DeliverPolicy.ALL,
            ack_policy=api.AckPolicy.EXPLICIT,
            ack_wait=self.config.ack_wait,
            max_deliver=-1,
            max_ack_pending=self.config.max_ack_pending,
        )
        created: api.ConsumerInfo = await self._js.add_consumer(self.stream, config)
        return created

    async def _prepare(self) -> None:
        if self._sub is not None:
            return
        info = await self.ensure_consumer()
        self._ack_wait = info.config.ack_wait or self.config.ack_wait
        await self._await_orphans(info)
        self._sub = await self._js.pull_subscribe_bind(consumer=self.consumer, stream=self.stream)

    async def _await_orphans(self, info: api.ConsumerInfo) -> None:
        """Commits a dead relay held are redelivered after ack_wait; fetching earlier would overtake them."""
        if not info.num_ack_pending or info.delivered is None or info.delivered.last_active is None:
            return
        due = (info.delivered.last_active - datetime.now(UTC)).total_seconds() + self._ack_wait
        delay = min(max(due, 0.0), self._ack_wait) + 0.05
        log.warning(
            "relay %s: a previous relay left %d commits unacknowledged; waiting %.1fs for their redelivery",
            self.consumer,
            info.num_ack_pending,
            delay,
        )
        await asyncio.sleep(delay)

    async def _fetch(self, expires: float) -> list[Msg]:
        assert self._sub is not None  # _prepare ran
        self._fetching = True
        try:
            return await self._sub.fetch(self.config.batch, timeout=expires)
        except TimeoutError:
            return []
        finally:
            self._fetching = False

    # -- one batch -----------------------------------------------------------------------------------------

    async def _relay(self, batch: Sequence[Msg]) -> None:
        """Publish and acknowledge every commit of the batch, retrying failures until they succeed."""
        pending = [item for msg in batch if (item := await self._read(msg)) is not None]
        rounds = 0
        while pending:
            if rounds:
                await self._hold(pending, self._pause(rounds))
            rounds += 1
            await self._publish(pending)
            stored = [item for item in pending if item.stored]
            pending = [item for item in pending if not item.stored]
            for item in stored:
                await self._acknowledge(item)

    async def _read(self, msg: Msg) -> _InFlight | None:
        metadata = msg.metadata
        if metadata.num_delivered > 1:
            self.stats.redelivered += 1
        try:
            commit = Commit.decode(msg.data)
        except NewerFormatError:
            raise  # this relay is older than the writer: stop, leave the commit to a current relay
        except ValueError as exc:
            self.stats.malformed += 1
            log.error(  # noqa: TRY400 - the reason is the message, a traceback adds nothing
                "relay %s: message %d is not a commit (%s); terminated",
                self.consumer,
                metadata.sequence.stream,
                exc,
            )
            await msg.term()
            return None
        return _InFlight(msg, commit, metadata.sequence.stream, [None] * len(commit.outbox))

    async def _publish(self, pending: Sequence[_InFlight]) -> None:
        """One round: send what is not stored yet, in stream order, pipelined across aggregates.

        A message waits until the previous message of its aggregate is stored, and a failure holds back
        the rest of its aggregate: a later message can never be stored before an earlier one of the same
        aggregate. Sending in stream order keeps the happy path in commit order across aggregates too
        (A's reservation request before B's when A committed first). The price is one round trip per
        message after the first of a commit, or of an aggregate, in a batch (see the measurements).
        When a message is found unanswered at its deadline, the round stops waiting: an aggregate whose
        previous message is still unanswered is held back at once, so a round costs one timeout, not
        one per aggregate waiting in turn behind a stream that does not answer.
        """
        sent: list[tuple[_InFlight, int, asyncio.Future[api.PubAck]]] = []
        try:
            await self._send_in_order(pending, sent)
        except ConnectionClosedError:
            raise
        except NatsError as exc:  # disconnected: what was not sent is retried next round
            self._failed(f"publishing stopped: {exc}")
        await self._collect(sent, asyncio.get_running_loop().time() + self.config.publish_timeout)

    async def _send_in_order(
        self, pending: Sequence[_InFlight], sent: list[tuple[_InFlight, int, "asyncio.Future[api.PubAck]"]]
    ) -> None:
        loop = asyncio.get_running_loop()
        in_flight: dict[str, tuple[asyncio.Future[api.PubAck], float]] = {}
        blocked: set[str] = set()
        patient = True
        for item in pending:
            aggregate = item.commit.aggregate_id
            for index, ack in enumerate(item.acks):
                if ack is not None:
                    continue
                if aggregate in blocked:
                    break
                if (previous := in_flight.get(aggregate)) is not None:
                    future, deadline = previous
                    stored = await self._stored(future, deadline if patient else 0.0)
                    if not stored:
                        patient = patient and stored is not None
                        blocked.add(aggregate)
                        break
                future = await self._send(item.commit.outbox[index])
                in_flight[aggregate] = (future, loop.time() + self.config.publish_timeout)
                sent.append((item, index, future))

    async def _send(self, message: OutboxMessage) -> "asyncio.Future[api.PubAck]":
        headers = {**message.headers, NATS_MSG_ID: message.message_id}
        # No wait_stall: with one, nats-py wraps its semaphore in wait_for, which yields to the loop on
        # every call, so the flusher sends each message alone (measured 2-4x slower).
        return await self._js.publish_async(
            message.subject, message.body, headers=headers, stream=message.stream
        )

    @staticmethod
    async def _stored(future: "asyncio.Future[api.PubAck]", deadline: float) -> bool | None:
        """True: stored; False: refused; None: no answer by the message's deadline (0: do not wait)."""
        if not future.done():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining > 0:
                await asyncio.wait([future], timeout=remaining)
            if not future.done():
                return None
        return not future.cancelled() and future.exception() is None

    async def _collect(
        self, sent: Sequence[tuple[_InFlight, int, "asyncio.Future[api.PubAck]"]], deadline: float
    ) -> None:
        """Wait for the round's acknowledgements and record them; late ones count as failed."""
        if not sent:
            return
        remaining = max(0.0, deadline - asyncio.get_running_loop().time())
        _, late = await asyncio.wait([future for *_, future in sent], timeout=remaining)
        for future in late:
            future.cancel()  # frees nats-py's slot; the message is sent again next round
        for item, index, future in sent:
            subject = item.commit.outbox[index].subject
            if future.cancelled():
                self._failed(f"{subject}: no acknowledgement in {self.config.publish_timeout}s")
            elif (error := future.exception()) is not None:
                self._failed(f"{subject}: {type(error).__name__} {error}")
            else:
                ack = future.result()
                item.acks[index] = ack
                self.stats.messages += 1
                self.stats.duplicates += bool(ack.duplicate)

    async def _acknowledge(self, item: _InFlight) -> None:
        relayed = RelayedCommit(item.commit, item.sequence, tuple(a for a in item.acks if a is not None))
        if self._before_ack is not None:
            await self._before_ack(relayed)
        await item.msg.ack()
        self.stats.commits += 1
        if self._on_relayed is not None:
            try:
                await self._on_relayed(relayed)
            except Exception:
                self.stats.hook_errors += 1
                log.exception(
                    "relay %s: on_relayed failed for commit %s", self.consumer, item.commit.commit_id
                )

    async def _hold(self, pending: Sequence[_InFlight], delay: float) -> None:
        """Wait before a retry, telling JetStream the held commits are still being worked on."""
        step = max(self._ack_wait / 3, 0.01)
        while True:
            for item in pending:
                await item.msg.in_progress()
            if delay <= 0:
                return
            await asyncio.sleep(min(step, delay))
            delay -= step

    def _pause(self, failures: int) -> float:
        return min(self.config.backoff * 2.0 ** (failures - 1), self.config.max_backoff)

    def _failed(self, reason: str) -> None:
        self.stats.failures += 1
        self.stats.last_error = reason
        log.warning("relay %s: %s", self.consumer, reason)
