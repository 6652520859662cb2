"""The batch sender: claim what is due, send it through the providers, record and report the batch.

Three steps, so no transaction stays open while providers are called: (1) claim the due notifications in
one transaction (status `sending`, the batch id); (2) send them, grouped; (3) in one transaction, record
every outcome and publish `notification.batch.processed.v1` through the outbox. A process that dies after
(1) leaves its notifications `sending`; the next batch claims them again once the lease has passed, so a
notification is sent at least once.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from a4co_sdk.models import notification
from a4co_sdk.publishers.notification import NotificationPublishers
from services.notification.application.ports import DeliveryFailedError, Directory, Notifications, Providers
from services.notification.domain import sending
from services.notification.domain.notifications import Status
from services.platform.unit_of_work import UnitOfWork

__all__ = ["BatchReport", "SenderSettings", "send_due"]

log = logging.getLogger(__name__)

Stores = Callable[[UnitOfWork], tuple[Notifications, Directory]]


@dataclass(frozen=True, slots=True)
class SenderSettings:
    window: timedelta = timedelta(seconds=10)
    """Notifications of one group due within this window leave together."""
    lease: timedelta = timedelta(seconds=60)
    """After this long a claimed notification whose batch did not finish is claimed again."""
    limit: int = 500
    """Notifications per batch (group members may add a few)."""


@dataclass(frozen=True, slots=True)
class BatchReport:
    batch_id: UUID
    outcomes: list[sending.Outcome]
    messages: int


async def send_due(
    unit_of_work: Callable[[], UnitOfWork],
    stores: Stores,
    providers: Providers,
    publishers: NotificationPublishers,
    *,
    now: Callable[[], datetime],
    settings: SenderSettings,
) -> BatchReport | None:
    """Send one batch of due notifications; None when nothing was due."""
    started = time.perf_counter()
    batch_id = uuid4()
    async with unit_of_work() as uow:
        notifications, directory = stores(uow)
        claimed = await notifications.claim(
            batch_id, now=now(), window=settings.window, lease=settings.lease, limit=settings.limit
        )
        contacts = await directory.contacts({n.recipient_id for n in claimed}) if claimed else {}
    if not claimed:
        return None
    outcomes: list[sending.Outcome] = []
    messages = 0
    for group in sending.groups(claimed):
        message, expired = sending.compose(group, contacts, now=now())
        outcomes += expired
        if message is None:
            continue
        messages += 1
        try:
            await providers.send(message)
        except DeliveryFailedError as exc:
            outcomes += sending.failed(message, str(exc) or "refused by the provider")
        except Exception as exc:  # one provider's fault fails its message, not the batch
            log.exception("provider error on %s", message.template)
            outcomes += sending.failed(message, f"provider error: {type(exc).__name__}")
        else:
            outcomes += sending.sent(message)
    elapsed_ms = (time.perf_counter() - started) * 1000
    finished_at = now()
    async with unit_of_work() as uow:
        notifications, _ = stores(uow)
        await notifications.finish(outcomes, at=finished_at)
        failures = [o for o in outcomes if o.status is not Status.SENT]
        uow.publish(
            publishers.notification_batch_processed.prepare(
                notification.NotificationBatchProcessed(
                    batch_id=batch_id,
                    notification_ids=[o.notification_id for o in outcomes],
                    successful=len(outcomes) - len(failures),
                    failed=len(failures),
                    failures=[
                        notification.NotificationFailure(
                            notification_id=o.notification_id, error=(o.error or o.status.value)[:1000]
                        )
                        for o in failures
                    ],
                    processed_at=finished_at,
                    processing_time=round(elapsed_ms, 3),
                )
            )
        )
    log.info(
        "batch %s: %d notifications in %d messages, %d failed",
        batch_id,
        len(outcomes),
        messages,
        len(failures),
    )
    return BatchReport(batch_id, outcomes, messages)
