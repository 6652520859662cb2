"""The processor's settings, read once from the environment at start-up.

- `A4CO_DLQ_MAX_RETRIES` (default 3): automatic retries of one message before it raises an alert.
- `A4CO_DLQ_RETRY_DELAYS` (default `60,300,900`): seconds before retry 1, 2, 3...; the last one repeats.
  The consumer has already redelivered the message with its own backoff (about two minutes) before it
  dead-lettered it, so these wait for longer outages: a restarting database, a peer being redeployed.
- `A4CO_DLQ_FOLLOW_UP_INTERVAL` (default 0.5): seconds between two looks for due retries and alerts.

A value that cannot be read stops the service at start-up with the variable's name, never a default.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass

from services.dlq.domain.triage import RetryPolicy

__all__ = ["DlqConfig"]


@dataclass(frozen=True, slots=True)
class DlqConfig:
    policy: RetryPolicy
    follow_up_interval: float = 0.5

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "DlqConfig":
        env = os.environ if environ is None else environ
        default = RetryPolicy()
        try:
            max_retries = int(env.get("A4CO_DLQ_MAX_RETRIES", default.max_retries))
        except ValueError:
            raise ValueError(
                f"A4CO_DLQ_MAX_RETRIES={env['A4CO_DLQ_MAX_RETRIES']!r}: expected a whole number"
            ) from None
        raw_delays = env.get("A4CO_DLQ_RETRY_DELAYS")
        try:
            delays = tuple(float(part) for part in raw_delays.split(",")) if raw_delays else default.delays
        except ValueError:
            raise ValueError(
                f"A4CO_DLQ_RETRY_DELAYS={raw_delays!r}: expected seconds separated by commas (60,300,900)"
            ) from None
        try:
            interval = float(env.get("A4CO_DLQ_FOLLOW_UP_INTERVAL", 0.5))
        except ValueError:
            raise ValueError(
                f"A4CO_DLQ_FOLLOW_UP_INTERVAL={env['A4CO_DLQ_FOLLOW_UP_INTERVAL']!r}: expected seconds"
            ) from None
        if interval <= 0:
            raise ValueError(f"A4CO_DLQ_FOLLOW_UP_INTERVAL={interval}: must be more than 0")
        try:
            policy = RetryPolicy(max_retries=max_retries, delays=delays)
        except ValueError as exc:
            raise ValueError(f"A4CO_DLQ_MAX_RETRIES / A4CO_DLQ_RETRY_DELAYS: {exc}") from None
        return cls(policy=policy, follow_up_interval=interval)
