"""Loading the seed THROUGH EVENTS: what the owning services would have published, nothing written behind.

Artisans are published as the artisan service publishes them (`artisan.onboarding.completed.v1`, with
the artisan service's field cipher), products as the product service lists them (`product.listed.v1`),
customers as the user service registers them (`user.registered.v1`, `user.payment.method.added.v1`,
`user.blocked.v1`, with the user service's cipher, which holds the `pci` key for card numbers). Every
read model (search, geo-search, inventory's stock, the user service's profiles) is then built by its
own service from the streams, the way it is rebuilt.

Loading twice changes nothing: every event has a deterministic id (UUID v5 of its business id), sent as
`Nats-Msg-Id`, so JetStream drops a repeat inside the stream's duplicate window and every receiver's
inbox recognises it after that.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from nats.js import JetStreamContext
from nats.js.api import PubAck

from a4co_sdk import MessageContext
from a4co_sdk._runtime.publishing import Publisher
from a4co_sdk.publishers.artisan import ArtisanPublishers
from a4co_sdk.publishers.product import ProductPublishers
from a4co_sdk.publishers.user import UserPublishers
from services.platform.security import AesGcmFieldCipher, KeyStore

from .artisans import ARTISANS, onboarding_event
from .customers import CUSTOMERS, blocking_event, payment_method_events, registration_event
from .products import listing_events

__all__ = ["SeedReport", "load_seed", "seed_event_id"]

WINDOW = 256
"""Messages in flight at once (pipelined publishing, then the acknowledgements are awaited)."""
ACK_TIMEOUT = 30.0


def seed_event_id(kind: str, key: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"https://a4co.example/seed/{kind}/{key}")


@dataclass
class SeedReport:
    artisans: int = 0
    products: int = 0
    customers: int = 0
    payment_methods: int = 0
    blocked: int = 0
    stored: int = 0
    duplicates: int = 0
    seconds: float = 0.0

    @property
    def published(self) -> int:
        return self.stored + self.duplicates


class _Batch:
    """Pipelined publishing with a bounded window; counts what JetStream stored and what it dropped."""

    def __init__(self, report: SeedReport) -> None:
        self._report = report
        self._pending: list[Awaitable[PubAck]] = []

    async def send(
        self, publisher: Publisher[Any], payload: Any, *, kind: str, key: str, occurred_at: datetime
    ) -> None:
        event_id = seed_event_id(kind, key)
        context = MessageContext(correlation_id=seed_event_id("flow", f"{kind}/{key}"))
        future = await publisher.publish_nowait(
            payload, message_id=event_id, occurred_at=occurred_at, context=context
        )
        self._pending.append(future)
        if len(self._pending) >= WINDOW:
            await self.flush()

    async def flush(self) -> None:
        pending, self._pending = self._pending, []
        try:
            # nats-py never resolves a pipelined publish that JetStream refuses (a missing stream, say):
            # bound the wait so a misconfigured server is an error, not a hang.
            acks: Sequence[PubAck] = await asyncio.wait_for(asyncio.gather(*pending), ACK_TIMEOUT)
        except TimeoutError:
            raise TimeoutError(
                f"JetStream did not acknowledge {len(pending)} seed events within {ACK_TIMEOUT:.0f} s; "
                "are the contract's streams provisioned (`a4co streams apply`)?"
            ) from None
        for ack in acks:
            if ack.duplicate:
                self._report.duplicates += 1
            else:
                self._report.stored += 1


async def load_seed(js: JetStreamContext, keys: KeyStore, *, customers: bool = True) -> SeedReport:
    """Publish the whole seed; returns how many events JetStream stored and how many were repeats."""
    started = time.perf_counter()
    report = SeedReport()
    batch = _Batch(report)
    artisan_publishers = ArtisanPublishers(js, cipher=AesGcmFieldCipher.for_service("artisan", keys))
    product_publishers = ProductPublishers(js, cipher=AesGcmFieldCipher.for_service("product", keys))

    for index, seed in enumerate(ARTISANS):
        event = onboarding_event(seed, index)
        await batch.send(
            artisan_publishers.artisan_onboarding_completed,
            event,
            kind="artisan-onboarded",
            key=str(event.artisan_id),
            occurred_at=event.completed_at,
        )
        report.artisans += 1
    for listed in listing_events():
        await batch.send(
            product_publishers.product_listed,
            listed,
            kind="product-listed",
            key=str(listed.product_id),
            occurred_at=listed.listed_at,
        )
        report.products += 1

    if customers:
        user_publishers = UserPublishers(js, cipher=AesGcmFieldCipher.for_service("user", keys))
        for position, customer in enumerate(CUSTOMERS):
            registered = registration_event(customer, position)
            await batch.send(
                user_publishers.user_registered,
                registered,
                kind="user-registered",
                key=str(customer.id),
                occurred_at=registered.registered_at,
            )
            report.customers += 1
            for added in payment_method_events(customer, position):
                method_id = added.payment_method.root.payment_method_id
                await batch.send(
                    user_publishers.payment_method_added,
                    added,
                    kind="payment-method-added",
                    key=str(method_id),
                    occurred_at=added.added_at,
                )
                report.payment_methods += 1
            blocked = blocking_event(customer, position)
            if blocked is not None:
                await batch.send(
                    user_publishers.user_blocked,
                    blocked,
                    kind="user-blocked",
                    key=str(customer.id),
                    occurred_at=blocked.blocked_at,
                )
                report.blocked += 1
    await batch.flush()
    report.seconds = time.perf_counter() - started
    return report
