"""In-memory fakes of the user service's ports."""

from datetime import date, datetime
from uuid import UUID

from a4co_sdk.models import user
from services.user.application.ports import (
    CachedProfile,
    Customers,
    CustomerStatus,
    ProfileCache,
    ProfileChanges,
    ProfileViews,
    Segmentations,
    ValidationAnswer,
    Validations,
)
from services.user.domain.customers import Customer, SavedMethod
from services.user.domain.segments import Segmentation


class FakeCustomers(Customers):
    def __init__(self) -> None:
        self.customers: dict[UUID, Customer] = {}
        self.blocked: dict[UUID, str] = {}
        self.methods: dict[UUID, SavedMethod] = {}

    async def register(self, customer: Customer) -> None:
        self.customers.setdefault(customer.user_id, customer)

    async def block(self, user_id: UUID, reason: str, at: datetime) -> None:
        self.blocked.setdefault(user_id, reason)

    async def add_method(self, method: SavedMethod) -> None:
        self.methods.setdefault(method.payment_method_id, method)

    async def status(self, user_id: UUID) -> CustomerStatus:
        return CustomerStatus(known=user_id in self.customers, blocked=user_id in self.blocked)


class FakeSegmentations(Segmentations):
    def __init__(self) -> None:
        self.saved: dict[UUID, Segmentation] = {}
        self.signals: set[tuple[UUID, UUID]] = set()

    async def get(self, user_id: UUID) -> Segmentation:
        found = self.saved.get(user_id)
        if found is None:
            return Segmentation(user_id)
        return Segmentation(
            user_id,
            found.olive_oil_interactions,
            found.confirmed_orders,
            found.balance,
            found.tier,
            found.last_order_at,
            found.segments,
        )

    async def save(self, segmentation: Segmentation, *, at: datetime) -> None:
        self.saved[segmentation.user_id] = segmentation

    async def first_sighting(self, user_id: UUID, signal_id: UUID, kind: str, at: datetime) -> bool:
        if (user_id, signal_id) in self.signals:
            return False
        self.signals.add((user_id, signal_id))
        return True


class FakeValidations(Validations):
    def __init__(self) -> None:
        self.answers: dict[UUID, ValidationAnswer] = {}

    async def get(self, validation_id: UUID) -> ValidationAnswer | None:
        return self.answers.get(validation_id)

    async def add(self, answer: ValidationAnswer) -> None:
        assert answer.validation_id not in self.answers, "a validation is stored once"
        self.answers[answer.validation_id] = answer


class FakeChanges(ProfileChanges):
    def __init__(self) -> None:
        self.changed: list[UUID] = []

    def profile_changed(self, user_id: UUID) -> None:
        self.changed.append(user_id)


class FakeCache(ProfileCache):
    def __init__(self) -> None:
        self.values: dict[tuple[str, UUID], bytes] = {}
        self.generations: dict[UUID, int] = {}

    async def get(self, kind: str, user_id: UUID) -> CachedProfile:
        return CachedProfile(self.values.get((kind, user_id)), str(self.generations.get(user_id, "")))

    async def put(self, kind: str, user_id: UUID, body: bytes, generation: str) -> None:
        if str(self.generations.get(user_id, "")) == generation:
            self.values[(kind, user_id)] = body

    async def invalidate(self, user_ids: set[UUID]) -> None:
        for user_id in user_ids:
            self.generations[user_id] = self.generations.get(user_id, 0) + 1
            for key in [k for k in self.values if k[1] == user_id]:
                del self.values[key]

    async def clear(self) -> None:
        self.values.clear()


class FakeViews(ProfileViews):
    def __init__(self) -> None:
        self.payment: dict[UUID, user.PaymentProfile] = {}
        self.chat: dict[UUID, user.ChatProfile] = {}
        self.reads = 0

    async def payment_profile(self, user_id: UUID, today: date) -> user.PaymentProfile | None:
        self.reads += 1
        return self.payment.get(user_id)

    async def chat_profile(self, user_id: UUID) -> user.ChatProfile | None:
        self.reads += 1
        return self.chat.get(user_id)
