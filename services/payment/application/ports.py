"""What the use cases need from the outside, as ports (ABCs); adapters implement them, tests fake them.

- `MethodVault`: the saved methods, decrypted (SQL, `adapters.vault`).
- `PaymentsIndex`: which payment belongs to an order and which payments are due to be driven again
  (the payments view `payment_view`, fed by ES_PAYMENTS, `adapters.payments_view`).
- `PaymentProcessor`: the acquirer (simulated by decision 009, `adapters.processor`).
- `ProfileSource`: the user service's payment profile, behind a timeout and a circuit breaker
  (`adapters.profiles`).
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from services.payment.domain.methods import StoredMethod
from services.payment.domain.processor import ProcessorOutcome
from services.payment.domain.validation import Profile, ProfileProblem

__all__ = [
    "MethodVault",
    "PaymentProcessor",
    "PaymentsIndex",
    "ProfileSource",
    "ProfileUnavailableError",
    "VaultBehindError",
]


class VaultBehindError(RuntimeError):
    """A method the vault has not received yet (`user.payment.method.added` travels on another stream, to
    another consumer): the delivery is retried once, after the consumer's first backoff, before the method
    is treated as unknown."""


class ProfileUnavailableError(RuntimeError):
    """The user service did not give the customer's payment profile: the delivery is retried after the
    consumer's backoff (`PROFILE_ATTEMPTS` deliveries in all) before the method is answered
    `profile_unavailable`. A blip of the user service must not cancel a customer's order; one that stays
    down is answered for by the saga's deadline on this step."""


class MethodVault(abc.ABC):
    @abc.abstractmethod
    async def method(self, payment_method_id: UUID) -> StoredMethod | None:
        """The saved method, decrypted; None when the vault does not know it."""


class PaymentsIndex(abc.ABC):
    @abc.abstractmethod
    async def payment_of_order(self, order_id: UUID) -> UUID | None:
        """The payment requested for an order (the latest, if the saga asked more than once)."""

    @abc.abstractmethod
    async def due(self, now: datetime, limit: int) -> Sequence[UUID]:
        """Payments still processing whose next processor attempt is due at `now`, oldest first."""


class PaymentProcessor(abc.ABC):
    @abc.abstractmethod
    async def charge(
        self, payment_id: UUID, attempt: int, method: StoredMethod, amount: Decimal, currency: str
    ) -> ProcessorOutcome:
        """Ask the processor to charge; idempotent by payment id (asking again never charges twice)."""


class ProfileSource(abc.ABC):
    @abc.abstractmethod
    async def profile(self, customer_id: UUID) -> Profile | ProfileProblem:
        """The customer's payment profile, or why there is none; never raises, never waits long."""
