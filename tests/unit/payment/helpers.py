"""Fakes and builders for the payment service's use case tests: no servers, an in-memory event store."""

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import orjson

from a4co_sdk._runtime.publishing import Publisher
from a4co_sdk._runtime.subscribing import Delivery, Dispatcher, Received, Route
from a4co_sdk.models import common, payment
from a4co_sdk.publishers.order import OrderPublishers
from a4co_sdk.publishers.payment import PaymentPublishers
from a4co_sdk.subscribers.payment import OPERATIONS
from services.payment.application.payments import PaymentUseCases
from services.payment.application.ports import MethodVault, PaymentProcessor, PaymentsIndex
from services.payment.domain.methods import StoredMethod
from services.payment.domain.payment import Payment, ProcessorPolicy
from services.payment.domain.processor import ProcessorOutcome, simulate
from services.platform.eventstore import InMemoryRepository, InMemoryStore, OutboxMessage

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
POLICY = ProcessorPolicy(
    answer_timeout=timedelta(seconds=5), first_retry=timedelta(seconds=1), max_attempts=4
)
ORDER_PUBLISHERS = OrderPublishers(None, producer="order")  # type: ignore[arg-type]  # prepare() needs no server
PAYMENT_PUBLISHERS = PaymentPublishers(None)  # type: ignore[arg-type]  # likewise
ARTISAN_A, ARTISAN_B = UUID(int=0xA), UUID(int=0xB)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FakeVault(MethodVault):
    def __init__(self, *methods: StoredMethod) -> None:
        self.methods = {m.payment_method_id: m for m in methods}

    async def method(self, payment_method_id: UUID) -> StoredMethod | None:
        return self.methods.get(payment_method_id)


class StoreIndex(PaymentsIndex):
    """The payments view read straight from the in-memory store (what the projector keeps in SQL)."""

    def __init__(self, repository: InMemoryRepository[Payment]) -> None:
        self.repository = repository

    async def _all(self) -> list[Payment]:
        ids = dict.fromkeys(c.aggregate_id for c in self.repository.store.commits())
        return [await self.repository.get(i) for i in ids]

    async def payment_of_order(self, order_id: UUID) -> UUID | None:
        return next((p.payment_id for p in await self._all() if p.order_id == order_id), None)

    async def due(self, now: datetime, limit: int) -> Sequence[UUID]:
        return [p.payment_id for p in await self._all() if p.due(now)][:limit]


class SimulatedWithLog(PaymentProcessor):
    """Decision 009's processor, remembering every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[UUID, int]] = []

    async def charge(
        self, payment_id: UUID, attempt: int, method: StoredMethod, amount: Decimal, currency: str
    ) -> ProcessorOutcome:
        self.calls.append((payment_id, attempt))
        return simulate(payment_id, method, attempt, T0.date())


class HeldProcessor(SimulatedWithLog):
    """Answers only when released: the window in which another process can decide on the payment."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = asyncio.Event()
        self.release = asyncio.Event()

    async def charge(
        self, payment_id: UUID, attempt: int, method: StoredMethod, amount: Decimal, currency: str
    ) -> ProcessorOutcome:
        self.asked.set()
        await self.release.wait()
        return await super().charge(payment_id, attempt, method, amount, currency)


def card(number: str, owner: UUID) -> StoredMethod:
    return StoredMethod(
        uuid4(),
        owner,
        "card",
        card_number=number,
        expiry_month=12,
        expiry_year=2030,
        holder_name="María López",
        brand="visa",
        last4=number[-4:],
    )


def store_of(cases: PaymentUseCases) -> InMemoryStore:
    """The in-memory store behind use cases made by `use_cases`."""
    repository = cases.repository
    assert isinstance(repository, InMemoryRepository)
    return repository.store


def use_cases(
    vault: FakeVault,
    processor: PaymentProcessor | None = None,
    *,
    clock: Clock | None = None,
    store: InMemoryStore | None = None,
) -> PaymentUseCases:
    repository = InMemoryRepository(Payment, store=store)
    return PaymentUseCases(
        repository=repository,
        publishers=PAYMENT_PUBLISHERS,
        vault=vault,
        index=StoreIndex(repository),
        processor=processor or SimulatedWithLog(),
        policy=POLICY,
        clock=clock or Clock(),
    )


def money(amount: str) -> common.Money:
    return common.Money(amount=Decimal(amount), currency="EUR")


def payment_request(method: StoredMethod, *, payment_id: UUID | None = None) -> payment.PaymentRequested:
    return payment.PaymentRequested(
        payment_id=payment_id or uuid4(),
        order_id=uuid4(),
        customer_id=method.owner_id,
        payment_method_id=method.payment_method_id,
        amount=money("66.35"),
        lines=[
            payment.PaymentLine(artisan_id=ARTISAN_A, amount=money("29.40")),
            payment.PaymentLine(artisan_id=ARTISAN_B, amount=money("33.00")),
        ],
        delivery_cost=money("3.95"),
        requested_at=T0,
    )


def received(
    publisher: Publisher[Any], payload: Any, *, message_id: UUID | None = None, attempt: int = 1
) -> Received[Any]:
    """The message as the payment service's dispatcher hands it to a handler."""
    out = publisher.prepare(payload, message_id=message_id)
    operation = next(op for op in OPERATIONS if op.channel.address == out.subject)
    assert operation.consumer is not None

    async def handler(_: Any, __: Received[Any]) -> None:
        return None

    route = Route(operation, handler)
    dispatcher = Dispatcher(service="payment", consumer=operation.consumer, routes=[route])
    return dispatcher.decode(route, Delivery(out.subject, out.body, out.headers, attempt=attempt))


def sent(store: InMemoryStore, subject: str | None = None) -> list[dict[str, Any]]:
    """The bodies of the messages the relay would publish, optionally only those on `subject`."""
    return [orjson.loads(m.body) for m in store.outbox() if subject is None or m.subject == subject]


def subjects(messages: Sequence[OutboxMessage]) -> list[str]:
    return [m.subject for m in messages]
