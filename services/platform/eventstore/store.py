"""The event store: one subject per aggregate in a private stream, one message per commit.

`es.<type>.<aggregate id>` holds the aggregate's commits in order; the stream sequence of its last commit
is the aggregate's position. `append` sends `Nats-Expected-Last-Subject-Sequence` with the position the
writer read, so JetStream itself refuses a write based on a stale read (optimistic concurrency, fixed
race in nats-server 2.9.20, #4320): of several writers that read the same position exactly one wins.

The commit id travels as `Nats-Msg-Id`. nats-server 2.15 checks the expected sequence *before* the
duplicate window, so a retry of an append that was in fact stored (the ack was lost) comes back as
"wrong last sequence", not as a duplicate. `append` recognises that case itself: when the first commit
after the expected position carries this commit's id, the append had succeeded and is reported as a
duplicate. Retrying the same `Commit` is therefore always safe, inside the window or after it.
"""

import asyncio
import re
from dataclasses import dataclass

from nats.errors import Error as NatsError
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.errors import APIError, NoStreamResponseError, NotFoundError, ServiceUnavailableError

from a4co_sdk._runtime.publishing import NATS_MSG_ID
from a4co_sdk._runtime.specs import StreamSpec

from ._reading import NO_MESSAGE_FOUND, DirectGetUnavailableError, RawMessage, read_direct, read_leader
from .commit import Commit
from .errors import ConcurrencyError, CorruptCommitError, EventStoreError, StoreUnavailableError

__all__ = ["EXPECTED_LAST_SUBJECT_SEQUENCE", "Appended", "EventStore", "LoadedStream"]

EXPECTED_LAST_SUBJECT_SEQUENCE = "Nats-Expected-Last-Subject-Sequence"
WRONG_LAST_SEQUENCE = 10071
"""JetStream's error code (JSStreamWrongLastSequenceErrF) when the expected sequence does not hold."""

_TOKEN = re.compile(r"[^.*>\s]+")
_TRAILING_NUMBER = re.compile(r"(\d+)\s*$")


@dataclass(frozen=True, slots=True)
class LoadedStream:
    """An aggregate's commits in order and the stream sequence of the last one (0: none yet)."""

    aggregate_id: str
    commits: tuple[Commit, ...]
    last_sequence: int


@dataclass(frozen=True, slots=True)
class Appended:
    """Where a commit was stored; `duplicate` when it already had been (a retried append)."""

    sequence: int
    duplicate: bool = False


class EventStore:
    """Loads and appends the commits of one aggregate type (`subject_prefix`, e.g. `es.order`)."""

    def __init__(
        self,
        js: JetStreamContext,
        stream: StreamSpec | str,
        subject_prefix: str,
        *,
        timeout: float = 5.0,
        attempts: int = 3,
        direct: bool | None = None,
    ) -> None:
        """`direct`: read with batched direct gets (True), from the leader (False), or ask the stream (None).

        A `StreamSpec` is checked: the stream must be private and its subjects must cover the prefix.
        """
        if isinstance(stream, StreamSpec):
            _check_stream(stream, subject_prefix)
            stream = stream.name
        if not subject_prefix or subject_prefix.endswith(".") or any(c in subject_prefix for c in "*> "):
            raise ValueError(f"{subject_prefix!r} is not a subject prefix (like 'es.order')")
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._js = js
        self.stream = stream
        self.subject_prefix = subject_prefix
        self._timeout = timeout
        self._attempts = attempts
        self._direct = direct
        self.stale_reads = 0
        """Direct reads that turned out older than a sequence already known, and were re-read."""

    def subject(self, aggregate_id: str) -> str:
        """The subject holding the aggregate's commits; the id must be one subject token."""
        if not _TOKEN.fullmatch(aggregate_id):
            raise ValueError(f"{aggregate_id!r} cannot be an aggregate id: it must be one subject token")
        return f"{self.subject_prefix}.{aggregate_id}"

    async def load(self, aggregate_id: str, *, at_least: int = 0) -> LoadedStream:
        """Every commit of the aggregate, in order.

        `at_least`: a sequence the caller knows the aggregate has reached (from a `ConcurrencyError`). A
        direct read from a replica that has not caught up with it is repeated on the stream leader.
        """
        subject = self.subject(aggregate_id)
        raw = await self._read(subject, at_least)
        commits = tuple(_decode(subject, aggregate_id, message) for message in raw)
        return LoadedStream(aggregate_id, commits, raw[-1].sequence if raw else 0)

    async def append(self, aggregate_id: str, commit: Commit, expected_sequence: int) -> Appended:
        """Store `commit` if the aggregate is still at `expected_sequence` (0: it has no commit yet).

        Raises `ConcurrencyError` when another writer appended first. A timeout is retried with the same
        commit id (`attempts` in all); a commit that turns out stored is reported as a duplicate.
        """
        if commit.aggregate_id != aggregate_id:
            raise ValueError(f"commit of aggregate {commit.aggregate_id} appended to {aggregate_id}")
        if expected_sequence < 0:
            raise ValueError("expected_sequence must be 0 or more")
        subject = self.subject(aggregate_id)
        payload = commit.encode()
        failure: Exception | None = None
        for attempt in range(self._attempts):
            if attempt:
                await asyncio.sleep(0.05 * 2**attempt)
            headers = {NATS_MSG_ID: commit.commit_id, EXPECTED_LAST_SUBJECT_SEQUENCE: str(expected_sequence)}
            try:
                ack = await self._js.publish(
                    subject, payload, timeout=self._timeout, stream=self.stream, headers=headers
                )
            except (
                NatsTimeoutError,
                NoRespondersError,
                NoStreamResponseError,
                ServiceUnavailableError,
            ) as exc:
                failure = exc  # maybe stored, maybe not: the retry (same commit id) finds out
                continue
            except APIError as exc:
                if exc.err_code == WRONG_LAST_SEQUENCE:
                    return await self._conflict(subject, commit, expected_sequence, exc)
                raise EventStoreError(
                    f"JetStream refused commit {commit.commit_id} on {subject}: {exc}"
                ) from exc
            except NatsError as exc:
                raise StoreUnavailableError(f"appending to {subject} failed: {exc}") from exc
            return Appended(ack.seq, duplicate=bool(ack.duplicate))
        raise StoreUnavailableError(
            f"JetStream did not acknowledge commit {commit.commit_id} on {subject} "
            f"after {self._attempts} attempts ({type(failure).__name__})"
        )

    async def _conflict(self, subject: str, commit: Commit, expected: int, exc: APIError) -> Appended:
        """Tell a lost race from a retry of a commit that had been stored."""
        following = await self._first_after(subject, expected)
        if following is not None and following.headers.get(NATS_MSG_ID) == commit.commit_id:
            return Appended(following.sequence, duplicate=True)
        match = _TRAILING_NUMBER.search(exc.description or "")
        if match is not None:
            actual = int(match.group(1))
        else:
            actual = raw[-1].sequence if (raw := await read_leader(self._js, self.stream, subject)) else 0
        raise ConcurrencyError(commit.aggregate_id, expected, actual)

    async def _first_after(self, subject: str, sequence: int) -> RawMessage | None:
        try:
            raw = await self._js.get_msg(self.stream, seq=sequence + 1, subject=subject, next=True)
        except NotFoundError as exc:
            if exc.err_code == NO_MESSAGE_FOUND:
                return None
            raise StoreUnavailableError(f"stream {self.stream}: {exc.description}") from None
        except NatsError as exc:
            raise StoreUnavailableError(f"reading {subject} after a conflict failed: {exc}") from exc
        return RawMessage(raw.seq or 0, raw.data or b"", dict(raw.headers or {}))

    async def _read(self, subject: str, at_least: int) -> list[RawMessage]:
        if not await self._uses_direct():
            return await read_leader(self._js, self.stream, subject)
        try:
            raw = await read_direct(self._js, self.stream, subject, wait=self._timeout)
        except DirectGetUnavailableError:
            self._direct = False  # the stream lost allow_direct: read from the leader from now on
            return await read_leader(self._js, self.stream, subject)
        last = raw[-1].sequence if raw else 0
        if last < at_least:  # answered by a replica behind the leader
            self.stale_reads += 1
            raw.extend(await read_leader(self._js, self.stream, subject, start=last + 1))
        return raw

    async def _uses_direct(self) -> bool:
        if self._direct is None:
            try:
                info = await self._js.stream_info(self.stream)
            except NotFoundError:
                raise StoreUnavailableError(f"stream {self.stream} does not exist") from None
            except NatsError as exc:
                raise StoreUnavailableError(f"stream {self.stream}: {exc}") from exc
            self._direct = bool(info.config.allow_direct)
        return self._direct


def _decode(subject: str, aggregate_id: str, message: RawMessage) -> Commit:
    try:
        commit = Commit.decode(message.data)
    except ValueError as exc:
        raise CorruptCommitError(subject, message.sequence, str(exc)) from None
    if commit.aggregate_id != aggregate_id:
        raise CorruptCommitError(subject, message.sequence, f"it belongs to aggregate {commit.aggregate_id}")
    return commit


def _check_stream(spec: StreamSpec, prefix: str) -> None:
    if not spec.private:
        raise ValueError(f"stream {spec.name} is not private: an event store must not share a public stream")
    probe = f"{prefix}.x".split(".")
    if not any(_matches(pattern.split("."), probe) for pattern in spec.subjects):
        raise ValueError(f"stream {spec.name} ({', '.join(spec.subjects)}) does not hold {prefix}.<id>")


def _matches(pattern: list[str], tokens: list[str]) -> bool:
    for i, part in enumerate(pattern):
        if part == ">":
            return len(tokens) > i
        if i >= len(tokens) or (part not in ("*", tokens[i])):
            return False
    return len(pattern) == len(tokens)
