"""The gateway's tunables, read once from the environment; the defaults are the production values.

- `A4CO_GATEWAY_RATE_LIMIT_USER` (`120/minute`): requests per signed-in user, in `limits` notation
  (`10/second`, `1000/hour`);
- `A4CO_GATEWAY_RATE_LIMIT_ADDRESS` (`600/minute`): requests per client address without a token (many
  users share one NAT);
- `A4CO_GATEWAY_TIMEOUT_SCALE` (`1`): multiplies every downstream time budget (3 x the called
  operation's SLA); above 1 on slow machines and in tests;
- `A4CO_GATEWAY_BREAKER_FAILURES` (`5`): consecutive failures that open a downstream service's circuit;
- `A4CO_GATEWAY_BREAKER_OPEN_SECONDS` (`10`): how long an open circuit refuses calls before one trial;
- `A4CO_GATEWAY_TOKEN_CACHE_SECONDS` (`300`): longest time a valid token's verdict is remembered (never
  past the token's `exp`).
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass

from limits import RateLimitItem, parse

__all__ = ["GatewayConfig"]

_PREFIX = "A4CO_GATEWAY_"


def _positive(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(_PREFIX + name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{_PREFIX}{name}={raw!r} is not a number") from None
    if value <= 0:
        raise ValueError(f"{_PREFIX}{name} must be positive, not {raw}")
    return value


def _rate(environ: Mapping[str, str], name: str, default: str) -> RateLimitItem:
    raw = environ.get(_PREFIX + name) or default
    try:
        return parse(raw)
    except ValueError:
        raise ValueError(f"{_PREFIX}{name}={raw!r} is not a rate such as 120/minute") from None


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    per_user: RateLimitItem
    per_address: RateLimitItem
    timeout_scale: float = 1.0
    breaker_failures: int = 5
    breaker_open_seconds: float = 10.0
    token_cache_seconds: float = 300.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "GatewayConfig":
        """The configuration; a malformed variable stops the gateway at start with its name."""
        env = os.environ if environ is None else environ
        return cls(
            per_user=_rate(env, "RATE_LIMIT_USER", "120/minute"),
            per_address=_rate(env, "RATE_LIMIT_ADDRESS", "600/minute"),
            timeout_scale=_positive(env, "TIMEOUT_SCALE", 1.0),
            breaker_failures=max(1, int(_positive(env, "BREAKER_FAILURES", 5))),
            breaker_open_seconds=_positive(env, "BREAKER_OPEN_SECONDS", 10.0),
            token_cache_seconds=_positive(env, "TOKEN_CACHE_SECONDS", 300.0),
        )
