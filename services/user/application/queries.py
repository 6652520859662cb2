"""The profile queries behind the HTTP API: from the cache, else from the read model (then cached).

The projection drops a user's cached profiles after each commit that changed them and moves the user's
cache generation on; a profile is cached only under the generation seen before it was read, so a query
racing with a change cannot cache the old profile after it. The cache's TTL bounds what a lost
invalidation (Redis down at that moment) or a card expiring at the turn of a month leaves behind.
Misses are not cached: a registration invalidates anyway, but a 404 is cheap and rare.
"""

import logging
from collections.abc import Awaitable, Callable
from datetime import date
from typing import TypeVar
from uuid import UUID

from pydantic import ValidationError

from a4co_sdk._runtime.model import ContractModel, read_model_json, wire_json
from a4co_sdk.models import user
from services.user.application.ports import ProfileCache, ProfileViews

__all__ = ["CHAT", "PAYMENT", "chat_profile", "payment_profile"]

log = logging.getLogger(__name__)

PAYMENT = "payment-profile"
CHAT = "chat-profile"

M = TypeVar("M", bound=ContractModel)


async def _cached(
    kind: str, model: type[M], user_id: UUID, cache: ProfileCache, load: Callable[[], Awaitable[M | None]]
) -> M | None:
    cached = await cache.get(kind, user_id)
    if cached.body is not None:
        try:
            return read_model_json(model, cached.body)
        except ValidationError:  # written by an older shape, or damaged: read the model again
            log.warning("cached %s of %s is unreadable; reading the read model", kind, user_id)
    profile = await load()
    if profile is not None:
        await cache.put(kind, user_id, wire_json(profile), cached.generation)
    return profile


async def payment_profile(
    user_id: UUID, *, today: date, views: ProfileViews, cache: ProfileCache
) -> user.PaymentProfile | None:
    return await _cached(
        PAYMENT, user.PaymentProfile, user_id, cache, lambda: views.payment_profile(user_id, today)
    )


async def chat_profile(user_id: UUID, *, views: ProfileViews, cache: ProfileCache) -> user.ChatProfile | None:
    return await _cached(CHAT, user.ChatProfile, user_id, cache, lambda: views.chat_profile(user_id))
