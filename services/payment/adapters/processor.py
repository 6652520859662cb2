"""The payment processor: simulated, deterministic by method (docs/decisions/009, `domain.processor`).

A real acquirer would sit behind the same port with an HTTP client; it would be called with the payment
id as its idempotency key, as the simulation's references already assume.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from services.payment.application.ports import PaymentProcessor
from services.payment.domain.methods import StoredMethod
from services.payment.domain.processor import ProcessorOutcome, simulate

__all__ = ["SimulatedProcessor"]


class SimulatedProcessor(PaymentProcessor):
    def __init__(self, today: Callable[[], date] = lambda: datetime.now(UTC).date()) -> None:
        self._today = today
        self.calls = 0

    async def charge(
        self,
        payment_id: UUID,
        attempt: int,
        method: StoredMethod,
        amount: Decimal,  # noqa: ARG002 - decision 009's outcomes do not depend on the amount
        currency: str,  # noqa: ARG002 - nor on the currency
    ) -> ProcessorOutcome:
        self.calls += 1
        return simulate(payment_id, method, attempt, self._today())
