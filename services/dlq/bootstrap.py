"""Composition root of the dead letter processor (the design document's `processDLQ`).

The consumer `dlq-processor` triages every dead letter in its transaction (decision log + inbox); the
background task "dlq follow-up" publishes retries when they are due and raises alerts. The processor keeps
no read model: its one table, `dlq_decisions`, is processing state (what was retried or alerted), which
a rebuild from the stream must not replay, so nothing is registered as a projection.
"""

from datetime import UTC, datetime

from prometheus_client import Counter

from a4co_sdk import Received
from a4co_sdk.models import dlq
from a4co_sdk.servers.dlq import DlqApi, app
from a4co_sdk.subscribers.dlq import DlqHandlers, routes
from services.dlq.adapters.decisions import SqlDecisionLog, open_decision_log
from services.dlq.adapters.jetstream import JetStreamRepublisher
from services.dlq.adapters.reporting import LogAndMetrics
from services.dlq.application.follow_up import FollowUp
from services.dlq.application.handlers import triage_dead_letter
from services.dlq.config import DlqConfig
from services.dlq.domain.triage import RetryPolicy
from services.platform.kit import Kit
from services.platform.probes import Probes
from services.platform.runner import Runtime, Service
from services.platform.unit_of_work import current_unit_of_work


class Api(Probes, DlqApi):
    def __init__(self, kit: Kit) -> None:
        self.service_name = kit.name
        self.metrics = kit.runtime.metrics
        self.readiness_checks = kit.readiness


class Handlers(DlqHandlers):
    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    async def on_dead_letter(self, message: dlq.DeadLetter, received: Received[dlq.DeadLetter]) -> None:
        await triage_dead_letter(
            message,
            dlq_sequence=received.delivery.stream_sequence,
            dead_letter_id=received.envelope.message_id,
            decisions=SqlDecisionLog(current_unit_of_work().session),
            policy=self.policy,
            now=datetime.now(UTC),
        )


async def build(runtime: Runtime) -> Service:
    config = DlqConfig.from_env()
    kit = await Kit.open(runtime)
    await kit.create_tables()
    db = kit.db
    assert db is not None  # Kit.open opens the database unless told not to
    retries = Counter(
        "a4co_dlq_retries_total",
        "Dead-lettered messages the DLQ processor sent again to their subject",
        ["service"],
        registry=runtime.metrics.registry,
    )
    follow_up = FollowUp(
        lambda: open_decision_log(db),
        JetStreamRepublisher(runtime.js),
        LogAndMetrics(runtime.metrics.alerts, retries),
        interval=config.follow_up_interval,
    )
    return kit.service(
        kit.http(app, Api(kit)),
        kit.consumers(routes(Handlers(config.policy))),
        background={"dlq follow-up": follow_up.run},
    )
