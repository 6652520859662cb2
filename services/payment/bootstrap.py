"""Composition root of the payment service.

Three kinds of consumers, by where their state lives:
- SQL read models (the vault, the order velocity; `projections.py`): a transactional batch, the inbox and
  the effect in one transaction, pausable for a rebuild (the platform's `ProjectionHost`).
- Validation: SQL too, but it needs the user service's payment profile; the batch fetches the profiles
  first, concurrently and outside the transaction, then runs as a transactional batch.
- Event-sourced payments (request, refund, item changes): no SQL transaction; the payment's own history is
  its inbox and each decision is one append carrying its messages. Deliveries of a batch run concurrently
  (different payments do not wait for each other; one payment's decisions take turns).

Background: the relay of ES_PAYMENTS (`payment-relay`) publishes each commit's messages; the projector
keeps the payments view (`payment-projection`); the timer drives payments still processing.
"""

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from a4co_sdk import Received
from a4co_sdk._runtime.consuming import BatchConsumer
from a4co_sdk._runtime.subscribing import Delivery, Dispatcher, Outcome, Route
from a4co_sdk.clients.user import UserClient
from a4co_sdk.models import order, payment, user
from a4co_sdk.publishers.payment import PaymentPublishers
from a4co_sdk.servers.payment import PaymentApi, app
from a4co_sdk.streams import ES_PAYMENTS_STREAM
from a4co_sdk.subscribers.payment import PaymentHandlers, routes
from services.payment.adapters.payments_view import PaymentsProjector, SqlPaymentsIndex
from services.payment.adapters.processor import SimulatedProcessor
from services.payment.adapters.profiles import PROFILE_TIMEOUT, UserProfiles
from services.payment.adapters.validations import prune_answers
from services.payment.adapters.vault import SqlVault
from services.payment.adapters.velocity import prune_orders
from services.payment.application import methods
from services.payment.application.metrics import PaymentMetrics
from services.payment.application.payments import PaymentUseCases
from services.payment.domain.events import UPCASTERS
from services.payment.domain.payment import Payment, ProcessorPolicy
from services.payment.projections import PROJECTIONS
from services.platform.batching import transactional_batch
from services.platform.eventstore import EventStore, JetStreamRepository, Relay, RelayConfig
from services.platform.kit import Kit
from services.platform.probes import Probes
from services.platform.projections import ProjectionHost
from services.platform.runner import Runtime, Service
from services.platform.security import AesGcmFieldCipher
from services.platform.unit_of_work import current_unit_of_work

__all__ = ["RELAY_CONSUMER", "Handlers", "build"]

RELAY_CONSUMER = "payment-relay"
TIMER_TICK = 0.25
PRUNE_EVERY = timedelta(hours=1)
CONCURRENCY = 8


SQL_CONSUMERS = frozenset(c for projection in PROJECTIONS for c in projection.consumers)
VALIDATION_CONSUMER = "payment-on-payment-method-validation-requested"


class Api(Probes, PaymentApi):
    def __init__(self, kit: Kit) -> None:
        self.service_name = kit.name
        self.metrics = kit.runtime.metrics
        self.readiness_checks = kit.readiness


class Handlers(PaymentHandlers):
    def __init__(
        self,
        *,
        payments_: PaymentUseCases,
        publishers: PaymentPublishers,
        cipher: AesGcmFieldCipher,
        metrics: PaymentMetrics,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.payments = payments_
        self.publishers = publishers
        self.cipher = cipher
        self.metrics = metrics
        self.clock = clock

    async def on_order_created(self, message: order.OrderCreated, received: Received[Any]) -> None:
        await methods.count_order(message, current_unit_of_work())

    async def on_order_items_modified(
        self, message: order.OrderItemsModified, received: Received[Any]
    ) -> None:
        await self.payments.items_modified(message, received)

    async def on_payment_method_validation_requested(
        self, message: payment.PaymentMethodValidationRequested, received: Received[Any]
    ) -> None:
        await methods.validate_method(
            message,
            received,
            current_unit_of_work(),
            publishers=self.publishers,
            cipher=self.cipher,
            profile=methods.prefetched_profile(message.customer_id),
            now=self.clock(),
            metrics=self.metrics,
        )

    async def on_payment_requested(self, message: payment.PaymentRequested, received: Received[Any]) -> None:
        await self.payments.request_payment(message, received)

    async def on_payment_refund_requested(
        self, message: payment.PaymentRefundRequested, received: Received[Any]
    ) -> None:
        await self.payments.refund(message, received)

    async def on_payment_method_added(
        self, message: user.PaymentMethodAdded, received: Received[Any]
    ) -> None:
        await methods.keep_method(message, current_unit_of_work(), self.cipher, self.metrics)


def _policy() -> ProcessorPolicy:
    """The processor policy, adjustable per environment (tests shorten or lengthen the retry pauses)."""
    env = os.environ
    default = ProcessorPolicy()
    return ProcessorPolicy(
        answer_timeout=timedelta(
            seconds=float(env.get("A4CO_PAYMENT_ANSWER_TIMEOUT", default.answer_timeout.total_seconds()))
        ),
        first_retry=timedelta(
            seconds=float(env.get("A4CO_PAYMENT_FIRST_RETRY", default.first_retry.total_seconds()))
        ),
        max_attempts=int(env.get("A4CO_PAYMENT_MAX_ATTEMPTS", default.max_attempts)),
    )


def concurrently(
    dispatcher: Dispatcher, limit: int = CONCURRENCY
) -> Callable[[Sequence[Delivery]], Awaitable[list[Outcome]]]:
    """Dispatch a batch's deliveries concurrently, at most `limit` at a time."""
    gate = asyncio.Semaphore(limit)

    async def one(delivery: Delivery) -> Outcome:
        async with gate:
            return await dispatcher.dispatch(delivery)

    async def process(deliveries: Sequence[Delivery]) -> list[Outcome]:
        return list(await asyncio.gather(*(one(d) for d in deliveries)))

    return process


def _batch_consumer(
    kit: Kit,
    consumer_routes: Sequence[Route],
    process: Callable[[Dispatcher], Callable[[Sequence[Delivery]], Awaitable[list[Outcome]]]],
) -> BatchConsumer:
    spec = consumer_routes[0].operation.consumer
    assert spec is not None
    dispatcher = Dispatcher(service=kit.name, consumer=spec, routes=consumer_routes, cipher=kit.cipher)
    return BatchConsumer(
        kit.runtime.js, dispatcher, dead_letters=kit.runtime.dead_letters, process=process(dispatcher)
    )


def _timer(payments_: PaymentUseCases, kit: Kit) -> Callable[[], Awaitable[None]]:
    """Drive the payments due, a few times a second; prune old order counts and answers once an hour."""

    async def run() -> None:
        assert kit.db is not None
        pruned_at = datetime.min.replace(tzinfo=UTC)
        while True:
            await payments_.drive_due()
            now = datetime.now(UTC)
            if now - pruned_at >= PRUNE_EVERY:
                await prune_orders(kit.db, now)
                await prune_answers(kit.db, now)
                pruned_at = now
            await asyncio.sleep(TIMER_TICK)

    return run


def _warm_up(profiles: UserProfiles) -> Callable[[], Awaitable[None]]:
    """Open the connection to the user service at start (its first answer takes ~1 s, ten times the
    validation's budget), then stay idle: the runner restarts a background task that returns."""

    async def run() -> None:
        for _ in range(10):
            if await profiles.warm_up():
                break
            await asyncio.sleep(1.0)
        else:
            logging.getLogger(__name__).info("the user service did not answer a warm-up call in 10 s")
        await asyncio.Event().wait()

    return run


async def build(runtime: Runtime) -> Service:
    kit = await Kit.open(runtime)
    await kit.create_tables()
    assert kit.db is not None
    publishers = PaymentPublishers(runtime.js, cipher=kit.cipher)
    repository = JetStreamRepository(
        EventStore(runtime.js, ES_PAYMENTS_STREAM, "es.payment"), Payment, upcasters=UPCASTERS
    )
    metrics = PaymentMetrics(runtime.metrics.registry)
    user_client = kit.client(UserClient, "user", timeout=PROFILE_TIMEOUT)
    payments_ = PaymentUseCases(
        repository=repository,
        publishers=publishers,
        vault=SqlVault(kit.db, kit.cipher),
        index=SqlPaymentsIndex(kit.db),
        processor=SimulatedProcessor(),
        policy=_policy(),
        metrics=metrics,
    )
    handlers = Handlers(payments_=payments_, publishers=publishers, cipher=kit.cipher, metrics=metrics)
    by_consumer: Mapping[str, list[Route]] = routes(handlers)
    host = ProjectionHost.from_kit(kit, PROJECTIONS)
    consumers = host.consumers({name: r for name, r in by_consumer.items() if name in SQL_CONSUMERS})
    profiles = UserProfiles(user_client)
    consumers.append(
        _batch_consumer(
            kit,
            by_consumer[VALIDATION_CONSUMER],
            lambda d: methods.prefetching_profiles(transactional_batch(kit.unit_of_work, d), profiles),
        )
    )
    consumers += [
        _batch_consumer(kit, r, concurrently)
        for name, r in by_consumer.items()
        if name not in SQL_CONSUMERS and name != VALIDATION_CONSUMER
    ]
    # A relay restarted after a crash waits up to ack_wait for the commits its predecessor held: 10 s (not
    # the default 30 s) keeps a crashed payment service's answers from being late by half a minute.
    relay = Relay(runtime.js, ES_PAYMENTS_STREAM, RELAY_CONSUMER, config=RelayConfig(ack_wait=10.0))
    projector = PaymentsProjector(runtime.js, kit.db, repository)
    service = kit.service(
        kit.http(app, Api(kit)),
        consumers,
        background={
            "payments relay": relay.run,
            "payments view": projector.run,
            "processor timer": _timer(payments_, kit),
            "user service warm-up": _warm_up(profiles),
            **host.background(),
        },
    )
    service.on_stop.insert(0, user_client.aclose)
    return service
