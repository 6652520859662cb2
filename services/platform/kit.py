"""A service's toolbox, assembled once from the runtime by its composition root.

It gathers what every service wires the same way: its keys and field cipher, the authenticator its HTTP
server calls, service tokens for its own calls, its database with the outbox relay, and batch consumers
for the receive operations of its contract. The composition root stays a short list of domain decisions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.middleware import Middleware
from starlette.types import ASGIApp

from a4co_sdk._runtime.consuming import BatchConsumer
from a4co_sdk._runtime.http_client import ApiClient
from a4co_sdk._runtime.http_server import ServerInterface
from a4co_sdk._runtime.subscribing import Dispatcher, Route
from services.platform.batching import transactional_batch
from services.platform.database import Database
from services.platform.http_metrics import RequestTiming
from services.platform.outbox import OutboxRelay
from services.platform.probes import ReadinessCheck
from services.platform.runner import Runtime, Service
from services.platform.security import (
    AesGcmFieldCipher,
    KeyStore,
    RequestAuthenticator,
    ServiceTokenIssuer,
    ServiceTokenVerifier,
    UserTokenVerifier,
)
from services.platform.unit_of_work import SqlUnitOfWork

__all__ = ["PROBLEM_TYPES", "Kit"]

# The problem `type` of each status, as contracts/openapi/components.yaml documents them.
PROBLEM_TYPES = {
    status: f"https://a4co.example/problems/{kind}"
    for status, kind in {
        400: "malformed-request",
        401: "unauthorized",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        409: "conflict",
        422: "validation-failed",
        429: "rate-limited",
        500: "internal-error",
        503: "service-unavailable",
        504: "downstream-timeout",
    }.items()
}

C = TypeVar("C", bound=ApiClient)


@dataclass
class Kit:
    runtime: Runtime
    keys: KeyStore
    cipher: AesGcmFieldCipher
    authenticator: RequestAuthenticator
    tokens: ServiceTokenIssuer
    db: Database | None = None
    relay: OutboxRelay | None = None
    readiness: dict[str, ReadinessCheck] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.runtime.settings.service

    @classmethod
    async def open(cls, runtime: Runtime, *, database: bool = True, accepts_user_tokens: bool = False) -> Kit:
        settings = runtime.settings
        keys = KeyStore(settings.keys_dir)
        keys.signing_key(settings.service)  # publish this service's public key before anyone calls it
        authenticator = RequestAuthenticator(
            services=ServiceTokenVerifier(settings.service, keys),
            users=UserTokenVerifier(keys) if accepts_user_tokens else None,
        )
        kit = cls(
            runtime=runtime,
            keys=keys,
            cipher=AesGcmFieldCipher.for_service(settings.service, keys),
            authenticator=authenticator,
            tokens=ServiceTokenIssuer(settings.service, keys),
            readiness={"nats": runtime.nats_ready, "redis": runtime.redis_ready},
        )
        if database:
            kit.db = await Database.open(settings.database_url, schema=settings.service.replace("-", "_"))
            kit.relay = OutboxRelay(kit.db, runtime.js)
            kit.readiness["database"] = kit.db.ping
        return kit

    def unit_of_work(self) -> SqlUnitOfWork:
        assert self.db is not None, "this service has no database"
        return SqlUnitOfWork(self.db, self.relay)

    def consumers(
        self,
        routes: Mapping[str, Sequence[Route]],
        *,
        transactional: bool | Callable[[str], bool] = True,
        batch_size: int = 256,
    ) -> list[BatchConsumer]:
        """One batch consumer per durable consumer of the contract.

        A transactional consumer runs each batch in one database transaction with the inbox (idempotency
        record and effect commit together). Event-sourced use cases are not transactional here: their
        effect is an append to the event store, whose commits record what caused them.
        """
        consumers = []
        for name, consumer_routes in routes.items():
            spec = consumer_routes[0].operation.consumer
            assert spec is not None
            dispatcher = Dispatcher(
                service=self.name, consumer=spec, routes=consumer_routes, cipher=self.cipher
            )
            wanted = transactional(name) if callable(transactional) else transactional
            process = transactional_batch(self.unit_of_work, dispatcher) if wanted and self.db else None
            consumers.append(
                BatchConsumer(
                    self.runtime.js,
                    dispatcher,
                    dead_letters=self.runtime.dead_letters,
                    process=process,
                    batch_size=batch_size,
                )
            )
        return consumers

    def client(self, client_class: Callable[..., C], target: str, *, timeout: float = 2.0) -> C:
        """A generated HTTP client for `target`, carrying this service's tokens."""
        return client_class(
            self.runtime.settings.url_of(target), token=self.tokens.provider(target), timeout=timeout
        )

    def http(self, build_app: Callable[..., ASGIApp], api: ServerInterface, **options: Any) -> ASGIApp:
        """The service's HTTP app: the generated server for `api`, timed per operation."""
        options.setdefault("problem_types", PROBLEM_TYPES)
        options.setdefault("authenticator", self.authenticator)
        middleware = [
            *options.pop("middleware", ()),
            Middleware(RequestTiming, histogram=self.runtime.metrics.http_requests),
        ]
        return build_app(api, middleware=middleware, **options)

    def service(
        self,
        app: ASGIApp,
        consumers: list[BatchConsumer],
        *,
        background: Mapping[str, Callable[[], Any]] | None = None,
    ) -> Service:
        tasks = dict(background or {})
        if self.relay is not None:
            tasks["outbox relay"] = self.relay.run
        stops: list[Callable[[], Any]] = []
        if self.db is not None:
            stops.append(self.db.close)
        return Service(app=app, consumers=consumers, background=tasks, on_stop=stops)

    async def create_tables(self) -> None:
        assert self.db is not None
        await self.db.create_all()
