"""Use cases on payment methods: keeping them in the vault, counting orders, validating a method.

These run in the SQL unit of work of their batch (inbox claim, effect and outbox in one transaction).
Validation needs the customer's payment profile from the user service, and a call to another service
must never happen inside a transaction (it would hold the database while waiting on the network): the
batch fetches the profiles first, concurrently, with `prefetching_profiles`, and the handler reads the
answer it got (`prefetched_profile`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from uuid import UUID

import orjson

from a4co_sdk import Received
from a4co_sdk._runtime.subscribing import Delivery, Outcome
from a4co_sdk.models import common, order, payment, user
from a4co_sdk.publishers.payment import PaymentPublishers
from services.payment.adapters.validations import Answered, find_answer, record_answer
from services.payment.adapters.vault import find_method, save_method
from services.payment.adapters.velocity import record_order, velocity
from services.payment.application.metrics import PaymentMetrics
from services.payment.application.ports import ProfileSource, ProfileUnavailableError, VaultBehindError
from services.payment.domain.validation import Profile, ProfileProblem, assess
from services.platform.security import AesGcmFieldCipher
from services.platform.unit_of_work import UnitOfWork

__all__ = [
    "PROFILE_ATTEMPTS",
    "count_order",
    "keep_method",
    "prefetched_profile",
    "prefetching_profiles",
    "use_profiles",
    "validate_method",
]

log = logging.getLogger(__name__)

ProcessBatch = Callable[[Sequence[Delivery]], Awaitable[list[Outcome]]]
PROFILE_ATTEMPTS = 3
"""Deliveries of a validation request before an unreachable user service makes the method invalid."""
PROFILES_IN_FLIGHT = 8
"""Profile requests at once. After a restart the backlog arrives as one batch: hundreds of requests at
once made the user service answer after the timeout, opening the breaker for every order waiting."""

_profiles: ContextVar[Mapping[UUID, Profile | ProfileProblem] | None] = ContextVar(
    "payment_profiles", default=None
)


# -- user.payment.method.added --------------------------------------------------------------------------


async def keep_method(
    added: user.PaymentMethodAdded, uow: UnitOfWork, cipher: AesGcmFieldCipher, metrics: PaymentMetrics | None
) -> None:
    """Keep the method the customer saved, its data encrypted at rest; the CVV is dropped."""
    kept = await save_method(
        uow.session,
        cipher,
        user_id=added.user_id,
        method=added.payment_method,
        is_default=added.is_default,
        added_at=added.added_at,
    )
    if kept and metrics is not None:
        metrics.methods_saved.labels(added.payment_method.root.type).inc()


# -- order.created ----------------------------------------------------------------------------------------


async def count_order(created: order.OrderCreated, uow: UnitOfWork) -> None:
    """Remember the order for the customer's order velocity (the risk score); once per order id."""
    await record_order(
        uow.session,
        order_id=created.order_id,
        customer_id=created.customer_id,
        total=created.total_amount.amount,
        currency=created.total_amount.currency,
        at=created.created_at,
    )


# -- payment.method.validation.requested ------------------------------------------------------------------


@contextmanager
def use_profiles(profiles: Mapping[UUID, Profile | ProfileProblem]) -> Iterator[None]:
    token = _profiles.set(profiles)
    try:
        yield
    finally:
        _profiles.reset(token)


def prefetched_profile(customer_id: UUID) -> Profile | ProfileProblem:
    """The profile fetched for the running batch; UNAVAILABLE (and an error logged) if it was not."""
    profiles = _profiles.get()
    if profiles is None or customer_id not in profiles:
        log.error("no prefetched payment profile for customer %s: answering profile_unavailable", customer_id)
        return ProfileProblem.UNAVAILABLE
    return profiles[customer_id]


def _customer_of(delivery: Delivery) -> UUID | None:
    """The customerId of a validation request, read without decoding it (it is not encrypted)."""
    try:
        document = orjson.loads(delivery.body)
        return UUID(document["customerId"]) if isinstance(document, dict) else None
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None  # the dispatcher reports the bad message; nothing to fetch for it


def prefetching_profiles(process: ProcessBatch, source: ProfileSource) -> ProcessBatch:
    """`process` (a transactional batch) with every customer's profile fetched before it begins."""

    async def run(deliveries: Sequence[Delivery]) -> list[Outcome]:
        customers = list(dict.fromkeys(c for d in deliveries if (c := _customer_of(d)) is not None))
        gate = asyncio.Semaphore(PROFILES_IN_FLIGHT)

        async def fetch(customer: UUID) -> Profile | ProfileProblem:
            async with gate:  # waiting here is not counted in the call's timeout
                return await source.profile(customer)

        profiles = await asyncio.gather(*(fetch(customer) for customer in customers))
        with use_profiles(dict(zip(customers, profiles, strict=True))):
            return await process(deliveries)

    return run


def _answer(
    request: payment.PaymentMethodValidationRequested, answered: Answered
) -> payment.PaymentMethodValidated:
    assessment = answered.assessment
    credit = assessment.available_credit
    return payment.PaymentMethodValidated(
        validation_id=request.validation_id,
        order_id=request.order_id,
        payment_method_id=request.payment_method_id,
        type=payment.PaymentMethodType(assessment.method_type),
        is_valid=assessment.valid,
        rejection=payment.PaymentMethodRejection(assessment.rejection) if assessment.rejection else None,
        validation_details=payment.ValidationDetails(
            available_credit=None
            if credit is None
            else common.Money(amount=credit, currency=answered.currency),
            requires3_ds=assessment.requires_3ds,
            risk_score=assessment.risk_score,
        ),
        validated_at=answered.validated_at,
    )


async def validate_method(
    request: payment.PaymentMethodValidationRequested,
    received: Received[payment.PaymentMethodValidationRequested],
    uow: UnitOfWork,
    *,
    publishers: PaymentPublishers,
    cipher: AesGcmFieldCipher,
    profile: Profile | ProfileProblem,
    now: datetime,
    metrics: PaymentMetrics | None = None,
) -> None:
    """Answer once per validation id; a repeated request gets the answer given the first time."""
    answered = await find_answer(uow.session, request.validation_id)
    if answered is None:
        if profile is ProfileProblem.UNAVAILABLE and received.delivery.attempt < PROFILE_ATTEMPTS:
            raise ProfileUnavailableError(
                f"no payment profile for customer {request.customer_id} (delivery "
                f"{received.delivery.attempt} of {PROFILE_ATTEMPTS} before answering profile_unavailable)"
            )
        method = await find_method(uow.session, cipher, request.payment_method_id)
        if (
            method is None
            and isinstance(profile, Profile)
            and request.payment_method_id in profile.methods
            and received.delivery.attempt == 1
        ):
            raise VaultBehindError(
                f"method {request.payment_method_id} is in the profile of {request.customer_id} "
                "but not in the vault yet"
            )
        assessment = assess(
            payment_method_id=request.payment_method_id,
            customer_id=request.customer_id,
            method=method,
            profile=profile,
            amount=request.amount.amount,
            velocity=await velocity(uow.session, request.customer_id, now),
            today=now.date(),
        )
        answered = Answered(assessment, request.amount.currency, now)
        await record_answer(
            uow.session,
            validation_id=request.validation_id,
            order_id=request.order_id,
            payment_method_id=request.payment_method_id,
            assessment=assessment,
            currency=request.amount.currency,
            validated_at=now,
        )
        if metrics is not None:
            metrics.validations.labels(assessment.rejection or "valid", assessment.method_type).inc()
    uow.publish(publishers.payment_method_validated.prepare(_answer(request, answered)))
