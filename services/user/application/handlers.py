"""Handlers: plain functions of (message, unit of work, ports). Time comes in as `now`."""

import logging
from datetime import datetime

from a4co_sdk.models import loyalty, payment, user
from a4co_sdk.publishers.user import UserPublishers
from services.platform.unit_of_work import UnitOfWork
from services.user.application.ports import (
    Customers,
    ProfileChanges,
    Segmentations,
    ValidationAnswer,
    Validations,
)
from services.user.domain import customers as rules
from services.user.domain.segments import Segmentation, shows_olive_oil_interest

__all__ = [
    "add_payment_method",
    "block_user",
    "record_loyalty_points",
    "register_user",
    "saved_method",
    "track_behavior",
    "validate_customer",
]

log = logging.getLogger(__name__)

OLIVE_OIL_SIGNAL = "olive-oil-interest"
ORDER_SIGNAL = "confirmed-order"


# -- the customer projection (consumer user-profiles-projection) ----------------------------------------


async def register_user(message: user.UserRegistered, customers: Customers, changes: ProfileChanges) -> None:
    await customers.register(
        rules.Customer(
            user_id=message.user_id,
            first_name=rules.first_name(message.full_name),
            preferred_language=message.preferred_language.value,
            registered_at=message.registered_at,
        )
    )
    changes.profile_changed(message.user_id)


async def block_user(message: user.UserBlocked, customers: Customers, changes: ProfileChanges) -> None:
    await customers.block(message.user_id, message.reason, message.blocked_at)
    changes.profile_changed(message.user_id)


def saved_method(message: user.PaymentMethodAdded) -> rules.SavedMethod:
    """The masked summary of a saved method; the card number, CVV, IBAN and phone go no further."""
    method = message.payment_method.root
    expiry: tuple[int | None, int | None] = (None, None)
    if isinstance(method, payment.CardPaymentMethod):
        label = rules.card_label(method.brand.value, method.last4)
        expiry = (method.expiry_month, method.expiry_year)
    elif isinstance(method, payment.BizumPaymentMethod):
        label = rules.masked_label("Bizum", method.phone_number)
    elif isinstance(method, payment.PayPalPaymentMethod):
        label = rules.paypal_label(str(method.email))
    else:
        label = rules.masked_label("Transferencia", method.iban)
    return rules.SavedMethod(
        payment_method_id=method.payment_method_id,
        user_id=message.user_id,
        kind=method.type,
        label=label,
        expiry_month=expiry[0],
        expiry_year=expiry[1],
        is_default=message.is_default,
        added_at=message.added_at,
    )


async def add_payment_method(
    message: user.PaymentMethodAdded, customers: Customers, changes: ProfileChanges
) -> None:
    await customers.add_method(saved_method(message))
    changes.profile_changed(message.user_id)


# -- the order saga's customer validation -------------------------------------------------------------------


async def validate_customer(
    request: user.CustomerValidationRequested,
    uow: UnitOfWork,
    customers: Customers,
    segmentations: Segmentations,
    validations: Validations,
    publishers: UserPublishers,
    *,
    now: datetime,
) -> None:
    """Answer once per validation id; a repeated request gets the first answer again."""
    answer = await validations.get(request.validation_id)
    if answer is None:
        status = await customers.status(request.customer_id)
        rejection = rules.validate_customer(known=status.known, blocked=status.blocked)
        segments = (await segmentations.get(request.customer_id)).segments if status.known else ()
        answer = ValidationAnswer(
            validation_id=request.validation_id,
            customer_id=request.customer_id,
            order_id=request.order_id,
            rejection=rejection,
            segments=segments,
            validated_at=now,
        )
        await validations.add(answer)
    uow.publish(
        publishers.customer_validated.prepare(
            user.CustomerValidated(
                validation_id=answer.validation_id,
                customer_id=answer.customer_id,
                order_id=answer.order_id,
                is_valid=answer.rejection is None,
                rejection=user.CustomerRejection(answer.rejection.value) if answer.rejection else None,
                segments=[user.Segment(s) for s in answer.segments],
                validated_at=answer.validated_at,
            )
        )
    )


# -- segmentation ---------------------------------------------------------------------------------------


async def track_behavior(
    message: user.UserBehaviorTracked,
    uow: UnitOfWork,
    segmentations: Segmentations,
    publishers: UserPublishers,
    changes: ProfileChanges,
    *,
    now: datetime,
) -> None:
    """Count an olive-oil interaction once per tracking id; other behaviour changes no segment (analytics
    follows it on its own consumer)."""
    context = message.context
    if not shows_olive_oil_interest(
        message.action, page=context.page, search_query=context.search_query, filters=context.filters
    ):
        return
    if not await segmentations.first_sighting(message.user_id, message.tracking_id, OLIVE_OIL_SIGNAL, now):
        return
    segmentation = await segmentations.get(message.user_id)
    segmentation.record_olive_oil_interest(now=now)
    await _save(segmentation, uow, segmentations, publishers, changes, now)


async def record_loyalty_points(
    message: loyalty.LoyaltyPointsEarned,
    uow: UnitOfWork,
    segmentations: Segmentations,
    publishers: UserPublishers,
    changes: ProfileChanges,
    *,
    now: datetime,
) -> None:
    """One confirmed order (counted once per order id): repeat-buyer, the tier (vip) and the last order."""
    if not await segmentations.first_sighting(message.customer_id, message.order_id, ORDER_SIGNAL, now):
        return
    segmentation = await segmentations.get(message.customer_id)
    segmentation.record_confirmed_order(
        balance=message.balance, tier=message.tier.value, ordered_at=message.earned_at, now=now
    )
    await _save(segmentation, uow, segmentations, publishers, changes, now)


async def _save(
    segmentation: Segmentation,
    uow: UnitOfWork,
    segmentations: Segmentations,
    publishers: UserPublishers,
    changes: ProfileChanges,
    now: datetime,
) -> None:
    await segmentations.save(segmentation, at=now)
    changes.profile_changed(segmentation.user_id)  # the chat profile shows segments, tier and last order
    for change in segmentation.collect():
        log.info("user %s segments %s -> %s", change.user_id, change.previous, change.current)
        uow.publish(
            publishers.user_segment_changed.prepare(
                user.UserSegmentChanged(
                    user_id=change.user_id,
                    previous_segments=[user.PreviousSegment(s) for s in change.previous],
                    current_segments=[user.CurrentSegment(s) for s in change.current],
                    triggers=[user.SegmentTrigger(rule=t.rule, value=t.value) for t in change.triggers],
                    changed_at=change.at,
                )
            )
        )
