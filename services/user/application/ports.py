"""The ports the user service's handlers and queries depend on; SQL and Redis adapters implement them,
tests give in-memory fakes."""

import abc
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from a4co_sdk.models import user
from services.user.domain.customers import Customer, Rejection, SavedMethod
from services.user.domain.segments import Segmentation

__all__ = [
    "CachedProfile",
    "CustomerStatus",
    "Customers",
    "ProfileCache",
    "ProfileChanges",
    "ProfileViews",
    "Segmentations",
    "ValidationAnswer",
    "Validations",
]


@dataclass(frozen=True, slots=True)
class CustomerStatus:
    known: bool
    blocked: bool


@dataclass(frozen=True, slots=True)
class ValidationAnswer:
    """A customer validation as answered the first time; a repeated request gets it again."""

    validation_id: UUID
    customer_id: UUID
    order_id: UUID
    rejection: Rejection | None
    segments: tuple[str, ...]
    validated_at: datetime


class Customers(abc.ABC):
    """The customer read model (projection of USERS). Every write is idempotent: first fact wins."""

    @abc.abstractmethod
    async def register(self, customer: Customer) -> None: ...

    @abc.abstractmethod
    async def block(self, user_id: UUID, reason: str, at: datetime) -> None:
        """Also for a customer not (yet) registered: the block waits for the registration."""

    @abc.abstractmethod
    async def add_method(self, method: SavedMethod) -> None: ...

    @abc.abstractmethod
    async def status(self, user_id: UUID) -> CustomerStatus: ...


class Segmentations(abc.ABC):
    @abc.abstractmethod
    async def get(self, user_id: UUID) -> Segmentation:
        """The customer's segmentation; a fresh one when nothing was recorded yet."""

    @abc.abstractmethod
    async def save(self, segmentation: Segmentation, *, at: datetime) -> None: ...

    @abc.abstractmethod
    async def first_sighting(self, user_id: UUID, signal_id: UUID, kind: str, at: datetime) -> bool:
        """Record a signal (tracking id, order id); True the first time it is seen."""


class Validations(abc.ABC):
    @abc.abstractmethod
    async def get(self, validation_id: UUID) -> ValidationAnswer | None: ...

    @abc.abstractmethod
    async def add(self, answer: ValidationAnswer) -> None: ...


class ProfileChanges(abc.ABC):
    """Whose cached profiles are stale once the running unit of work commits."""

    @abc.abstractmethod
    def profile_changed(self, user_id: UUID) -> None: ...


class ProfileViews(abc.ABC):
    """The read side behind the HTTP queries."""

    @abc.abstractmethod
    async def payment_profile(self, user_id: UUID, today: date) -> user.PaymentProfile | None: ...

    @abc.abstractmethod
    async def chat_profile(self, user_id: UUID) -> user.ChatProfile | None: ...


@dataclass(frozen=True, slots=True)
class CachedProfile:
    """What the cache holds for a profile (None on a miss) and the generation it was read at."""

    body: bytes | None
    generation: str


class ProfileCache(abc.ABC):
    """Serialised profiles by kind and user. A cache failure is a miss, never an error.

    `invalidate` moves the user's generation on; `put` stores only if the generation is still the one
    `get` returned, so a profile read from the database before a change cannot be cached after it.
    """

    @abc.abstractmethod
    async def get(self, kind: str, user_id: UUID) -> CachedProfile: ...

    @abc.abstractmethod
    async def put(self, kind: str, user_id: UUID, body: bytes, generation: str) -> None: ...

    @abc.abstractmethod
    async def invalidate(self, user_ids: set[UUID]) -> None: ...

    @abc.abstractmethod
    async def clear(self) -> None:
        """Drop every cached profile (after a rebuild of the read model)."""
