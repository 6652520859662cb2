"""Durations as the contracts write them: `<n><unit>` with units ms, s, m, h, d (`30d`, `2m`).

JetStream's API takes nanoseconds; the contract stays readable and the provisioning code
converts. A duration that does not parse is a lint error, never a silent default.
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["parse_duration"]

_DURATION = re.compile(r"^(?P<number>[0-9]+)(?P<unit>ms|s|m|h|d)$")
_UNITS = {
    "ms": timedelta(milliseconds=1),
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
}


def parse_duration(value: object) -> timedelta | None:
    """The duration `value` writes, or `None` if it is not `<n><unit>`."""
    if not isinstance(value, str):
        return None
    found = _DURATION.match(value)
    if found is None:
        return None
    return int(found["number"]) * _UNITS[found["unit"]]
