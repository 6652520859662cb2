"""Alerts and retries as operations sees them: one structured log line each, and Prometheus counters.

An alert is a log line at level ERROR starting `alert=dlq`, key=value like every line of the platform
(`observability.configure_logging`), so a log shipper can route it without parsing free text, and a tick
of `a4co_alerts_total{reason=...}`, which an alerting rule watches.
"""

import json
import logging

from prometheus_client import Counter

from services.dlq.application.ports import Reporter, Triaged
from services.dlq.domain.triage import AlertReason

__all__ = ["LogAndMetrics"]

alerts_log = logging.getLogger("a4co.alerts")
"""Alerts have a logger of their own, so a deployment can route them (or only them) anywhere."""
log = logging.getLogger(__name__)

MAX_DETAIL = 500


def _value(text: str) -> str:
    """A value for a key=value line: bare when it is one plain word, else a JSON string (one line)."""
    if text and all(c.isalnum() or c in "-._:/>*" for c in text):
        return text
    return json.dumps(text, ensure_ascii=False)


def _line(**fields: object) -> str:
    return " ".join(f"{key}={_value(str(value))}" for key, value in fields.items() if value is not None)


class LogAndMetrics(Reporter):
    def __init__(self, alerts: Counter, retries: Counter) -> None:
        self._alerts = alerts
        self._retries = retries

    def alert(self, triaged: Triaged, reason: AlertReason, detail: str) -> None:
        self._alerts.labels(reason=reason.value).inc()
        alerts_log.error(
            _line(
                alert="dlq",
                reason=reason.value,
                service=triaged.service,
                consumer=triaged.consumer,
                subject=triaged.original_subject,
                kind=triaged.kind,
                error=triaged.error_name,
                retries=triaged.retries,
                dlq_seq=triaged.dlq_sequence,
                event_id=triaged.event_id,
                detail=detail[:MAX_DETAIL],
            )
        )

    def retried(self, triaged: Triaged) -> None:
        self._retries.labels(service=triaged.service).inc()
        log.info(
            _line(
                retried="dlq",
                service=triaged.service,
                consumer=triaged.consumer,
                subject=triaged.original_subject,
                error=triaged.error_name,
                retry=triaged.retries + 1,
                dlq_seq=triaged.dlq_sequence,
                event_id=triaged.event_id,
            )
        )
