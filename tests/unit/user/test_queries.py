"""Profile queries: served from the cache, filled from the read model, never cached across a change."""

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from a4co_sdk.models import user
from services.user.application import queries
from tests.unit.user.fakes import FakeCache, FakeViews

TODAY = date(2026, 11, 20)


def chat(name: str) -> user.ChatProfile:
    return user.ChatProfile(
        user_id=uuid4(),
        display_name=name,
        preferred_language=user.PreferredLanguage.ES,
        segments=[],
        is_blocked=False,
    )


async def test_a_profile_is_read_once_then_served_from_the_cache() -> None:
    views, cache = FakeViews(), FakeCache()
    profile = chat("María")
    views.chat[profile.user_id] = profile
    assert await queries.chat_profile(profile.user_id, views=views, cache=cache) == profile
    assert await queries.chat_profile(profile.user_id, views=views, cache=cache) == profile
    assert views.reads == 1


async def test_an_unknown_customer_is_not_cached() -> None:
    views, cache = FakeViews(), FakeCache()
    missing = uuid4()
    assert await queries.payment_profile(missing, today=TODAY, views=views, cache=cache) is None
    assert await queries.payment_profile(missing, today=TODAY, views=views, cache=cache) is None
    assert (views.reads, cache.values) == (2, {})


async def test_a_profile_read_before_a_change_is_not_cached_after_it() -> None:
    views, cache = FakeViews(), FakeCache()
    old = chat("Mari")
    views.chat[old.user_id] = old

    class RacingViews(FakeViews):
        async def chat_profile(self, user_id: UUID) -> user.ChatProfile | None:
            found = views.chat[old.user_id]
            await cache.invalidate({old.user_id})  # the projection commits a change meanwhile
            return found

    assert await queries.chat_profile(old.user_id, views=RacingViews(), cache=cache) == old
    assert cache.values == {}  # the stale read was refused by the generation check


async def test_a_damaged_cache_entry_is_read_again_from_the_read_model() -> None:
    views, cache = FakeViews(), FakeCache()
    profile = user.PaymentProfile(
        user_id=uuid4(),
        status=user.PaymentProfileStatus.ACTIVE,
        payment_methods=[],
        updated_at=datetime(2026, 11, 20, tzinfo=UTC),
    )
    views.payment[profile.user_id] = profile
    cache.values[(queries.PAYMENT, profile.user_id)] = b"{not json"
    assert await queries.payment_profile(profile.user_id, today=TODAY, views=views, cache=cache) == profile
    assert views.reads == 1
