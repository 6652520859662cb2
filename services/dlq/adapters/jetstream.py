"""JetStream: sending failed messages again, and reading and deleting dead letters in the DLQ stream.

`JetStreamRepublisher` is the processor's `Republisher`. `DeadLetterStream` reads the DLQ stream for
`a4co dlq` (list, show, replay, purge): scans go through a short-lived ephemeral consumer without
acknowledgements, which the server sends in batches, rather than one request per sequence.
"""

import logging
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime, timedelta

from nats.errors import Error as NatsError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext, api
from nats.js.errors import APIError, NotFoundError, ServiceUnavailableError
from pydantic import ValidationError

from a4co_sdk.models import dlq
from a4co_sdk.streams import DLQ_STREAM
from services.dlq.application.ports import Republisher, RetryRefusedError
from services.dlq.domain.redelivery import Redelivery

__all__ = ["DeadLetterStream", "JetStreamRepublisher", "StoredDeadLetter"]

log = logging.getLogger(__name__)

NO_MESSAGE = frozenset({10037, 10057})
"""JetStream's codes for "no message found" (get and delete of a sequence that is not there)."""


async def publish(js: JetStreamContext, redelivery: Redelivery, *, timeout: float = 5.0) -> api.PubAck:  # noqa: ASYNC109 - nats-py's request timeout
    """Publish and wait for the stream's acknowledgement; `RetryRefusedError` when the stream refused it."""
    try:
        return await js.publish(
            redelivery.subject, redelivery.body, timeout=timeout, headers=dict(redelivery.headers)
        )
    except ServiceUnavailableError:
        raise
    except APIError as exc:
        raise RetryRefusedError(f"JetStream refused {redelivery.subject}: {exc.description}") from exc


class JetStreamRepublisher(Republisher):
    def __init__(self, js: JetStreamContext, *, stream: str = DLQ_STREAM.name, timeout: float = 5.0) -> None:
        self._js = js
        self._stream = stream
        self._timeout = timeout

    async def publish(self, redelivery: Redelivery) -> None:
        await publish(self._js, redelivery, timeout=self._timeout)

    async def forget(self, dlq_sequence: int) -> None:
        try:
            await self._js.delete_msg(self._stream, dlq_sequence)
        except APIError as exc:
            if exc.err_code not in NO_MESSAGE:  # gone already (an operator replayed or purged it): fine
                log.warning("dead letter %d stays in %s: %s", dlq_sequence, self._stream, exc)
        except NatsError as exc:
            log.warning("dead letter %d stays in %s: %r", dlq_sequence, self._stream, exc)


@dataclass(frozen=True, slots=True)
class StoredDeadLetter:
    """A message of the DLQ stream; `letter` is None when its body is not a contract `DeadLetter`."""

    sequence: int
    stored_at: datetime
    subject: str
    headers: dict[str, str]
    data: bytes
    letter: dlq.DeadLetter | None
    problem: str | None = None

    @classmethod
    def read(
        cls, sequence: int, stored_at: datetime, subject: str, headers: dict[str, str] | None, data: bytes
    ) -> "StoredDeadLetter":
        try:
            letter = dlq.DeadLetter.model_validate_json(data)
        except ValidationError as exc:
            return cls(sequence, stored_at, subject, dict(headers or {}), data, None, str(exc))
        return cls(sequence, stored_at, subject, dict(headers or {}), data, letter)

    @property
    def original_subject(self) -> str:
        """The subject the failed message came from (from the body, else from the DLQ subject)."""
        return self.letter.original_subject if self.letter is not None else self.subject.removeprefix("dlq.")


class DeadLetterStream:
    """The DLQ stream, read and trimmed by sequence."""

    def __init__(self, js: JetStreamContext, *, stream: str = DLQ_STREAM.name) -> None:
        self._js = js
        self.stream = stream

    @staticmethod
    def filter_for(original_subject: str | None) -> str:
        """The DLQ subject filter of the dead letters of `original_subject` (wildcards allowed)."""
        return f"dlq.{original_subject}" if original_subject else "dlq.>"

    async def get(self, sequence: int) -> StoredDeadLetter | None:
        try:
            message = await self._js.get_msg(self.stream, sequence)
        except NotFoundError:
            return None
        except APIError as exc:
            if exc.err_code in NO_MESSAGE:
                return None
            raise
        if message.seq is None or message.time is None or message.subject is None:
            return None
        return StoredDeadLetter.read(
            message.seq, message.time, message.subject, message.headers, message.data or b""
        )

    async def delete(self, sequence: int) -> bool:
        """Delete one dead letter; False when it was not there."""
        try:
            return bool(await self._js.delete_msg(self.stream, sequence))
        except APIError as exc:
            if exc.err_code in NO_MESSAGE:
                return False
            raise

    async def scan(
        self,
        original_subject: str | None = None,
        *,
        since: datetime | None = None,
        limit: int | None = None,
        batch: int = 256,
    ) -> AsyncGenerator[StoredDeadLetter, None]:
        """Dead letters in sequence order (of `original_subject`, stored at or after `since`), at most
        `limit`. Only what was in the stream when the scan started is read: a replay of everything cannot
        chase the dead letters it causes."""
        last = await self.last_sequence()
        subscription = await self._js.pull_subscribe(
            self.filter_for(original_subject), stream=self.stream, config=_scan_config(since)
        )
        try:
            pending = (await subscription.consumer_info()).num_pending or 0
            seen = 0
            while pending and (limit is None or seen < limit):
                wanted = batch if limit is None else min(batch, limit - seen)
                try:
                    messages = await subscription.fetch(wanted, timeout=5.0)
                except (TimeoutError, NatsTimeoutError):
                    return  # the rest was deleted meanwhile
                for message in messages:
                    metadata = message.metadata
                    sequence = metadata.sequence.stream if metadata.sequence else 0
                    if sequence > last:
                        return
                    yield StoredDeadLetter.read(
                        sequence, metadata.timestamp, message.subject, message.headers, message.data
                    )
                    seen += 1
                    pending = metadata.num_pending or 0
                    if not pending or (limit is not None and seen >= limit):
                        break
        finally:
            await _close(self._js, self.stream, subscription)

    async def matching(self, original_subject: str | None = None, *, since: datetime | None = None) -> int:
        """How many dead letters (of `original_subject`, stored at or after `since`) are in the stream."""
        subscription = await self._js.pull_subscribe(
            self.filter_for(original_subject), stream=self.stream, config=_scan_config(since)
        )
        try:
            return (await subscription.consumer_info()).num_pending or 0
        finally:
            await _close(self._js, self.stream, subscription)

    async def last_sequence(self) -> int:
        """The stream's last sequence: what a purge may cover, so dead letters arriving later are kept."""
        return (await self._js.stream_info(self.stream)).state.last_seq or 0

    async def first_sequence_since(self, original_subject: str | None, since: datetime) -> int | None:
        """The sequence of the first matching dead letter stored at or after `since`; None if none was."""
        async with aclosing(self.scan(original_subject, since=since, limit=1)) as found:
            async for stored in found:
                return stored.sequence
        return None

    async def purge(self, original_subject: str | None, *, before_sequence: int) -> None:
        """Delete the matching dead letters whose sequence is below `before_sequence`."""
        await self._js.purge_stream(
            self.stream, seq=before_sequence, subject=self.filter_for(original_subject)
        )


def _scan_config(since: datetime | None) -> api.ConsumerConfig:
    config = api.ConsumerConfig(
        ack_policy=api.AckPolicy.NONE,
        mem_storage=True,
        inactive_threshold=timedelta(seconds=30).total_seconds(),  # a crashed scan cleans itself up
        deliver_policy=api.DeliverPolicy.BY_START_TIME if since else api.DeliverPolicy.ALL,
    )
    if since is not None:
        config.opt_start_time = since
    return config


async def _close(js: JetStreamContext, stream: str, subscription: JetStreamContext.PullSubscription) -> None:
    try:
        name = (await subscription.consumer_info()).name
        await subscription.unsubscribe()
        await js.delete_consumer(stream, name)
    except NatsError as exc:  # it goes by itself after its inactive threshold
        log.debug("scan consumer left behind: %r", exc)
