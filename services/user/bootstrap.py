"""Composition root of the user service. Its read models are listed in `projections.py`."""

from datetime import UTC, datetime
from uuid import UUID

from a4co_sdk import Received
from a4co_sdk._runtime.http_server import HttpProblem, HttpResponse
from a4co_sdk.models import loyalty, user
from a4co_sdk.publishers.user import UserPublishers
from a4co_sdk.servers.user import UserApi, app
from a4co_sdk.subscribers.user import UserHandlers, routes
from services.platform.kit import Kit
from services.platform.probes import Probes
from services.platform.projections import Projection, ProjectionHost
from services.platform.runner import Runtime, Service
from services.platform.unit_of_work import current_unit_of_work
from services.user.adapters.cache import RedisProfileCache
from services.user.adapters.repositories import SqlCustomers, SqlSegmentations, SqlValidations
from services.user.adapters.unit_of_work import ProfileUnitOfWork
from services.user.adapters.views import SqlProfileViews
from services.user.application import handlers, queries
from services.user.application.ports import ProfileCache, ProfileViews
from services.user.projections import PROJECTIONS

__all__ = ["build"]


class Api(Probes, UserApi):
    def __init__(self, kit: Kit, views: ProfileViews, cache: ProfileCache) -> None:
        self.service_name = kit.name
        self.metrics = kit.runtime.metrics
        self.readiness_checks = kit.readiness
        self.views = views
        self.cache = cache

    async def get_payment_profile(
        self, *, user_id: UUID, x_request_id: str | None
    ) -> user.PaymentProfile | HttpResponse:
        today = datetime.now(UTC).date()
        profile = await queries.payment_profile(user_id, today=today, views=self.views, cache=self.cache)
        if profile is None:
            raise HttpProblem(404, detail=f"no customer {user_id}")
        return profile

    async def get_chat_profile(
        self, *, user_id: UUID, x_request_id: str | None
    ) -> user.ChatProfile | HttpResponse:
        profile = await queries.chat_profile(user_id, views=self.views, cache=self.cache)
        if profile is None:
            raise HttpProblem(404, detail=f"no customer {user_id}")
        return profile


class Handlers(UserHandlers):
    def __init__(self, publishers: UserPublishers) -> None:
        self.publishers = publishers

    async def on_user_registered(
        self, message: user.UserRegistered, received: Received[user.UserRegistered]
    ) -> None:
        uow = current_unit_of_work(ProfileUnitOfWork)
        await handlers.register_user(message, SqlCustomers(uow.session), uow)

    async def on_user_blocked(self, message: user.UserBlocked, received: Received[user.UserBlocked]) -> None:
        uow = current_unit_of_work(ProfileUnitOfWork)
        await handlers.block_user(message, SqlCustomers(uow.session), uow)

    async def on_payment_method_added(
        self, message: user.PaymentMethodAdded, received: Received[user.PaymentMethodAdded]
    ) -> None:
        uow = current_unit_of_work(ProfileUnitOfWork)
        await handlers.add_payment_method(message, SqlCustomers(uow.session), uow)

    async def on_customer_validation_requested(
        self, message: user.CustomerValidationRequested, received: Received[user.CustomerValidationRequested]
    ) -> None:
        uow = current_unit_of_work(ProfileUnitOfWork)
        await handlers.validate_customer(
            message,
            uow,
            SqlCustomers(uow.session),
            SqlSegmentations(uow.session),
            SqlValidations(uow.session),
            self.publishers,
            now=datetime.now(UTC),
        )

    async def on_user_behavior_tracked(
        self, message: user.UserBehaviorTracked, received: Received[user.UserBehaviorTracked]
    ) -> None:
        uow = current_unit_of_work(ProfileUnitOfWork)
        await handlers.track_behavior(
            message, uow, SqlSegmentations(uow.session), self.publishers, uow, now=datetime.now(UTC)
        )

    async def on_loyalty_points_earned(
        self, message: loyalty.LoyaltyPointsEarned, received: Received[loyalty.LoyaltyPointsEarned]
    ) -> None:
        uow = current_unit_of_work(ProfileUnitOfWork)
        await handlers.record_loyalty_points(
            message, uow, SqlSegmentations(uow.session), self.publishers, uow, now=datetime.now(UTC)
        )


async def build(runtime: Runtime) -> Service:
    kit = await Kit.open(runtime)
    await kit.create_tables()
    assert kit.db is not None
    cache = RedisProfileCache(runtime.redis)
    publishers = UserPublishers(runtime.js, cipher=kit.cipher)
    db, relay = kit.db, kit.relay

    def unit_of_work() -> ProfileUnitOfWork:
        """Units of work that drop the changed users' cached profiles after they commit."""
        return ProfileUnitOfWork(db, relay, cache)

    async def rebuilt(_projection: Projection) -> None:
        await cache.clear()

    host = ProjectionHost(
        service=kit.name,
        js=runtime.js,
        nc=runtime.nc,
        db=db,
        unit_of_work=unit_of_work,
        projections=PROJECTIONS,
        cipher=kit.cipher,
        dead_letters=runtime.dead_letters,
        on_rebuilt=rebuilt,
    )
    api = Api(kit, SqlProfileViews(db), cache)
    consumers = host.consumers(routes(Handlers(publishers)))
    return kit.service(kit.http(app, api), consumers, background=host.background())
