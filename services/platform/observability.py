"""Logs, Prometheus metrics and the design document's business metrics, one registry per service.

Logging is one line per event, key=value, to stderr (the launcher collects each service's stderr in
`.run/logs/<service>.log`). Nothing is logged per message on the hot path: counters are.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from a4co_sdk._runtime.consuming import BatchConsumer

__all__ = ["BusinessMetrics", "ConsumerCollector", "Metrics", "configure_logging"]


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter(f"%(asctime)s level=%(levelname)s service={service} logger=%(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("uvicorn.access", "faststream", "nats", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class BusinessMetrics:
    """The KPIs of the design document (business_*), labelled as it says."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.orders_created = Counter(
            "business_orders_created_total",
            "Total number of orders created",
            ["status", "payment_method", "customer_segment"],
            registry=registry,
        )
        self.order_value = Histogram(
            "business_order_value_euros",
            "Order value in euros",
            ["product_category", "artisan_tier"],
            buckets=(10, 25, 50, 100, 250, 500, 1000),
            registry=registry,
        )
        self.conversion_rate = Gauge(
            "business_conversion_rate",
            "Conversion rate from cart to order",
            ["channel", "customer_segment"],
            registry=registry,
        )
        self.artisan_performance = Gauge(
            "business_artisan_performance_score",
            "Artisan performance score",
            ["artisan_id", "tier", "category"],
            registry=registry,
        )


class Metrics:
    """Technical metrics every service exposes at GET /metrics."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        self.http_requests = Histogram(
            "a4co_http_request_seconds",
            "HTTP request duration by operation and status",
            ["operation", "status"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5),
            registry=self.registry,
        )
        self.dead_letters = Counter(
            "a4co_dead_letters_total",
            "Messages this service sent to the DLQ",
            ["kind"],
            registry=self.registry,
        )
        self.alerts = Counter(
            "a4co_alerts_total",
            "Operational alerts raised (DLQ processor)",
            ["reason"],
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            "a4co_outbox_pending", "Messages stored and not yet published", registry=self.registry
        )
        self.sagas = Gauge("a4co_sagas", "Sagas by status", ["status"], registry=self.registry)
        self.business = BusinessMetrics(self.registry)

    def render(self) -> str:
        return generate_latest(self.registry).decode()


class ConsumerCollector(Collector):
    """Reads the batch consumers' counters when Prometheus scrapes, so the hot path only adds integers."""

    def __init__(self, consumers: Sequence[BatchConsumer]) -> None:
        self._consumers = consumers

    def collect(self) -> Iterator[Metric]:
        messages = CounterMetricFamily(
            "a4co_messages", "Messages settled by a consumer, by verdict", labels=["consumer", "verdict"]
        )
        batches = CounterMetricFamily("a4co_consumer_batches", "Batches fetched", labels=["consumer"])
        last = GaugeMetricFamily(
            "a4co_consumer_last_batch_size", "Size of the last batch", labels=["consumer"]
        )
        for consumer in self._consumers:
            stats = consumer.stats
            for verdict, value in (
                ("ack", stats.acked),
                ("skip", stats.skipped),
                ("retry", stats.retried),
                ("dead", stats.dead_lettered),
            ):
                messages.add_metric([consumer.name, verdict], value)
            batches.add_metric([consumer.name], stats.batches)
            last.add_metric([consumer.name], stats.last_batch_size)
        yield messages
        yield batches
        yield last
