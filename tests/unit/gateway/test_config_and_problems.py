"""The gateway's settings from the environment, and the problems it writes itself."""

import re

import pytest

from a4co_sdk._runtime.http_server import problem_instance as instance_of
from services.gateway.adapters.problems import problem
from services.gateway.config import GatewayConfig
from services.gateway.domain.errors import OrderStateConflict, ValidationFailed


def test_defaults_are_the_production_values() -> None:
    config = GatewayConfig.from_env({})
    assert (config.per_user.amount, config.per_address.amount) == (120, 600)
    assert (config.timeout_scale, config.breaker_failures, config.breaker_open_seconds) == (1.0, 5, 10.0)


def test_a_malformed_variable_is_named() -> None:
    with pytest.raises(ValueError, match="A4CO_GATEWAY_RATE_LIMIT_USER"):
        GatewayConfig.from_env({"A4CO_GATEWAY_RATE_LIMIT_USER": "lots"})
    with pytest.raises(ValueError, match="A4CO_GATEWAY_TIMEOUT_SCALE must be positive"):
        GatewayConfig.from_env({"A4CO_GATEWAY_TIMEOUT_SCALE": "0"})


def test_a_problem_carries_its_type_retry_after_and_errors() -> None:
    answer = problem(OrderStateConflict("Order x is still being created.", retry_after=1))
    assert (answer.status, answer.type) == (409, "https://a4co.example/problems/order-state-conflict")
    assert answer.headers == {"Retry-After": "1"}
    errors = [{"pointer": "/orderId", "message": "must not be present"}]
    assert problem(ValidationFailed("no", errors=errors)).errors == errors


def test_the_rate_limiters_instance_is_a_uri_reference() -> None:
    scope = {
        "raw_path": "/api/orders/ñ\x7f".encode(),
        "path": "/api/orders/ñ\x7f",
        "query_string": b"q=" + b"a" * 600,
    }
    instance = instance_of(scope)
    assert instance.startswith("/api/orders/%C3%B1%7F?q=aaa")
    assert len(instance) == 500
    cut = instance_of({"path": "/x", "query_string": b"q=" + b"%C3%B1" * 100})
    assert not re.search(r"%[0-9A-F]?$", cut)
