"""Choosing a carrier, a delivery window and its cost for an order's parcels.

Rules: the province (first two digits of the postal code) picks the carrier and its transit time:
Jaén (23) goes with a local courier in one working day, the rest of Andalusia with Correos Express in two,
the rest of the peninsula with SEUR in three. Windows are 09:00-14:00 Madrid time on a working day after
the transit time. The cost is the carrier's rate for the zone plus 0.50 € per kg above 5 kg.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

__all__ = ["Plan", "plan_delivery"]

MADRID = ZoneInfo("Europe/Madrid")
_ANDALUSIA = {"04", "11", "14", "18", "21", "29", "41"}


@dataclass(frozen=True, slots=True)
class Plan:
    carrier: str
    tracking_code: str
    window_start: datetime
    window_end: datetime
    cost: Decimal


def _carrier(postal_code: str) -> tuple[str, str, int, Decimal]:
    province = postal_code[:2]
    if province == "23":
        return "Jaén Mensajería", "JAE", 1, Decimal("3.95")
    if province in _ANDALUSIA:
        return "Correos Express", "CEX", 2, Decimal("4.65")
    return "SEUR", "SEU", 3, Decimal("6.95")


def _working_day_after(moment: datetime, days: int) -> datetime:
    day = moment.astimezone(MADRID).date()
    added = 0
    while added < days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            added += 1
    return datetime.combine(day, time(9, 0), tzinfo=MADRID)


def plan_delivery(delivery_id: UUID, postal_code: str, weight_kg: float, requested_at: datetime) -> Plan:
    carrier, prefix, transit_days, rate = _carrier(postal_code)
    start = _working_day_after(requested_at, transit_days)
    extra_kg = max(Decimal(str(weight_kg)) - 5, Decimal(0))
    digits = int(hashlib.sha256(delivery_id.bytes).hexdigest()[:12], 16) % 10**11
    return Plan(
        carrier=carrier,
        tracking_code=f"{prefix}{postal_code}{digits:011d}"[:24],
        window_start=start,
        window_end=start.replace(hour=14),
        cost=(rate + extra_kg * Decimal("0.50")).quantize(Decimal("0.01")),
    )
