"""Carrying out committed decisions when they are due: publish retries, raise alerts.

A background task of the service (`FollowUp.run`), so a retry's delay never holds the consumer: the
consumer records "retry at 10:15" and goes on; the follow-up publishes at 10:15. Decisions are read from
the log only after their transaction committed. Each is carried out at least once: a crash after the
publish and before `mark_done` publishes the retry again under the same `Nats-Msg-Id` (JetStream drops it
inside its duplicate window, consumers' inboxes after it) or repeats the alert line.
"""

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.dlq.application.ports import DecisionLog, Reporter, Republisher, RetryRefusedError
from services.dlq.domain.triage import AlertReason, Retry

__all__ = ["FollowUp", "Round"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Round:
    """What one round did: decisions carried out, whether a publish failed, whether more are due."""

    done: int
    failed: bool
    more: bool


def _now() -> datetime:
    return datetime.now(UTC)


class FollowUp:
    """Publishes due retries (then removes their dead letters from the DLQ) and raises pending alerts.

    `open_log()` opens a transaction on the decision log. A retry that cannot be published (NATS is down,
    no answer) is postponed by `postpone`, so it cannot hold back the others, and the round stops; the next
    waits twice as long, up to `max_backoff`. A retry the stream refuses raises an alert instead. Decisions
    carried out in a round are marked done even when it stops early. Decisions carried out more than
    `keep` ago are pruned once an hour.
    """

    def __init__(
        self,
        open_log: Callable[[], AbstractAsyncContextManager[DecisionLog]],
        republisher: Republisher,
        reporter: Reporter,
        *,
        interval: float = 0.5,
        max_backoff: float = 30.0,
        batch: int = 100,
        keep: timedelta = timedelta(days=31),
        postpone: timedelta = timedelta(seconds=30),
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._open_log = open_log
        self._republisher = republisher
        self._reporter = reporter
        self._interval = interval
        self._max_backoff = max_backoff
        self._batch = batch
        self._keep = keep
        self._postpone = postpone
        self._clock = clock
        self._last_prune: datetime | None = None

    async def run_once(self) -> Round:
        """Carry out what is due, up to `batch` decisions."""
        now = self._clock()
        async with self._open_log() as decisions:
            due = await decisions.due(now, self._batch)
        done: list[int] = []
        failed = False
        for triaged in due:
            decision = triaged.decision
            if isinstance(decision, Retry):
                assert triaged.redelivery is not None  # a pending retry always has it (Triaged)
                try:
                    await self._republisher.publish(triaged.redelivery)
                except RetryRefusedError as exc:
                    # Left in the DLQ for a person, who can replay it once the stream takes it again.
                    self._reporter.alert(triaged, AlertReason.RETRY_REFUSED, str(exc))
                except Exception as exc:  # noqa: BLE001 - NATS is unreachable: this one later, the rest next round
                    log.warning(
                        "retry %s of dead letter %d not published: %r",
                        decision.message_id,
                        triaged.dlq_sequence,
                        exc,
                    )
                    async with self._open_log() as decisions:
                        await decisions.postpone(triaged.dlq_sequence, now + self._postpone)
                    failed = True
                    break
                else:
                    # The retry supersedes its dead letter: should it fail again, a new one arrives.
                    await self._republisher.forget(triaged.dlq_sequence)
                    self._reporter.retried(triaged)
            else:
                self._reporter.alert(
                    triaged, decision.reason, f"{triaged.error_name}: {triaged.error_message}"
                )
            done.append(triaged.dlq_sequence)
        if done:
            async with self._open_log() as decisions:
                await decisions.mark_done(done, self._clock())
        return Round(done=len(done), failed=failed, more=len(due) == self._batch)

    async def prune(self) -> int:
        async with self._open_log() as decisions:
            return await decisions.prune(self._clock() - self._keep)

    async def run(self) -> None:
        """Follow up until cancelled."""
        failures = 0
        while True:
            try:
                result = await self.run_once()
            except Exception:  # the database is unreachable: try again later
                log.exception("dead letter follow-up round failed")
                result = Round(done=0, failed=True, more=False)
            failures = failures + 1 if result.failed else 0
            now = self._clock()
            if self._last_prune is None or now - self._last_prune > timedelta(hours=1):
                self._last_prune = now
                try:
                    pruned = await self.prune()
                except Exception:
                    log.exception("pruning the decision log failed")
                else:
                    if pruned:
                        log.info("pruned %d decisions carried out before %s", pruned, now - self._keep)
            if failures:
                await asyncio.sleep(min(self._interval * 2**failures, self._max_backoff))
            elif not result.more:
                await asyncio.sleep(self._interval)
