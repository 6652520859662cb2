"""The gateway's own metrics, read when Prometheus scrapes (the hot path only bumps integers).

- `a4co_gateway_circuit_state{service}`: 0 closed, 1 half-open, 2 open;
- `a4co_gateway_circuit_opened_total{service}`: how often each circuit opened;
- `a4co_gateway_rate_limited_total`: requests answered 429; `a4co_gateway_rate_limiter_errors_total`:
  requests let through because the limiter's store failed;
- `a4co_gateway_behavior_events_total{outcome}`: tracking events sent or lost.
"""

from collections.abc import Iterable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from services.gateway.adapters.downstream import Downstream
from services.gateway.adapters.rate_limit import RateLimiter
from services.gateway.adapters.tracking import BehaviorTracker
from services.platform.circuit_breaker import CircuitState

__all__ = ["GatewayCollector"]

STATE_VALUES = {CircuitState.CLOSED: 0, CircuitState.HALF_OPEN: 1, CircuitState.OPEN: 2}


class GatewayCollector(Collector):
    def __init__(
        self, downstream: Iterable[Downstream], limiter: RateLimiter, tracker: BehaviorTracker
    ) -> None:
        self.downstream = list(downstream)
        self.limiter = limiter
        self.tracker = tracker

    def collect(self) -> Iterator[Metric]:
        state = GaugeMetricFamily(
            "a4co_gateway_circuit_state",
            "Circuit of each downstream service: 0 closed, 1 half-open, 2 open",
            labels=["service"],
        )
        opened = CounterMetricFamily(
            "a4co_gateway_circuit_opened",
            "Times the circuit of a downstream service opened",
            labels=["service"],
        )
        for service in self.downstream:
            state.add_metric([service.name], STATE_VALUES[service.breaker.state])
            opened.add_metric([service.name], service.breaker.opened)
        yield state
        yield opened
        yield CounterMetricFamily(
            "a4co_gateway_rate_limited", "Requests answered 429", value=self.limiter.refused
        )
        yield CounterMetricFamily(
            "a4co_gateway_rate_limiter_errors",
            "Requests let through because the rate limiter's store failed",
            value=self.limiter.failures,
        )
        events = CounterMetricFamily(
            "a4co_gateway_behavior_events", "Behaviour tracking events by outcome", labels=["outcome"]
        )
        events.add_metric(["sent"], self.tracker.sent)
        events.add_metric(["lost"], self.tracker.lost)
        yield events
