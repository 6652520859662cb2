"""Composition root of the gateway: who calls whom, with which budgets, breakers and limits.

The gateway has no database and subscribes to nothing (it has no receive operation in the contract);
what it remembers lives in Redis with a TTL. Its readiness is NATS and Redis only: a downstream service
that is down is answered for by its circuit breaker (503 with `Retry-After` on its routes), and taking
the only entry point out of the load balancer because one query service is down would turn every route,
public ones included, into a connection error.

Projections: none (the gateway keeps no read model).
"""

import logging

from starlette.middleware import Middleware

from a4co_sdk.clients.analytics import AnalyticsClient
from a4co_sdk.clients.artisan import ArtisanClient
from a4co_sdk.clients.auth import AuthClient
from a4co_sdk.clients.inventory import InventoryClient
from a4co_sdk.clients.order import OrderClient
from a4co_sdk.clients.product import ProductClient
from a4co_sdk.clients.user import UserClient
from a4co_sdk.endpoints import gateway as endpoints
from a4co_sdk.publishers.gateway import GatewayPublishers
from a4co_sdk.servers.gateway import app
from services.gateway.adapters.commands import JetStreamCommands
from services.gateway.adapters.downstream import Downstream, breaker_for
from services.gateway.adapters.metrics import GatewayCollector
from services.gateway.adapters.peers import AuthVerdicts, OrderReadModel
from services.gateway.adapters.rate_limit import RateLimiter, RateLimitMiddleware, redis_storage
from services.gateway.adapters.redis_stores import (
    RedisAcceptedOrders,
    RedisIdempotencyKeys,
    RedisTokenVerdicts,
)
from services.gateway.adapters.tracking import BehaviorTracker
from services.gateway.adapters.users import GatewayAuthenticator, Identities, UserTokens
from services.gateway.api import Gateway, Queries
from services.gateway.config import GatewayConfig
from services.platform.kit import Kit
from services.platform.runner import Runtime, Service

DOWNSTREAM = ("auth", "order", "inventory", "product", "artisan", "analytics", "user")
"""The services the gateway calls, each behind its own circuit breaker."""

COMMAND_SLA_MS = endpoints.GATEWAY_CREATE_ORDER.sla_ms or 500
PUBLISH_SHARE = 0.5
"""Of a command's SLA, the share JetStream's acknowledgement may take (the rest: auth, the order check)."""


async def build(runtime: Runtime) -> Service:
    # httpx logs every request at INFO: a line per downstream call on the gateway's hot path.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    config = GatewayConfig.from_env()
    kit = await Kit.open(runtime, database=False)
    downstream = {
        name: Downstream(
            name,
            breaker_for(name, failures=config.breaker_failures, open_for=config.breaker_open_seconds),
            timeout_scale=config.timeout_scale,
        )
        for name in DOWNSTREAM
    }
    # The budgets bound each call; the clients' own (longer) timeout only backs them up.
    backstop = 2.0 * config.timeout_scale
    auth = kit.client(AuthClient, "auth", timeout=backstop)
    order = kit.client(OrderClient, "order", timeout=backstop)
    queries = Queries(
        inventory=kit.client(InventoryClient, "inventory", timeout=backstop),
        product=kit.client(ProductClient, "product", timeout=backstop),
        artisan=kit.client(ArtisanClient, "artisan", timeout=backstop),
        analytics=kit.client(AnalyticsClient, "analytics", timeout=backstop),
        user=kit.client(UserClient, "user", timeout=backstop),
        downstream=downstream,
    )
    identities = Identities(
        UserTokens(
            AuthVerdicts(auth, downstream["auth"]),
            RedisTokenVerdicts(runtime.redis),
            max_age=config.token_cache_seconds,
        )
    )
    publish_budget = COMMAND_SLA_MS * PUBLISH_SHARE / 1000 * config.timeout_scale
    publishers = GatewayPublishers(runtime.js, cipher=kit.cipher, timeout=publish_budget)
    tracker = BehaviorTracker(publishers.user_behavior_tracked)
    limiter = RateLimiter(
        redis_storage(runtime.redis, runtime.settings.redis_url),
        per_user=config.per_user,
        per_address=config.per_address,
    )
    api = Gateway(
        service_name=kit.name,
        metrics=runtime.metrics,
        readiness=kit.readiness,
        identities=identities,
        orders=OrderReadModel(order, downstream["order"]),
        accepted=RedisAcceptedOrders(runtime.redis),
        keys=RedisIdempotencyKeys(runtime.redis),
        bus=JetStreamCommands(publishers, connected=lambda: runtime.nc.is_connected, budget=publish_budget),
        queries=queries,
        tracker=tracker,
    )
    runtime.metrics.registry.register(GatewayCollector(downstream.values(), limiter, tracker))
    application = kit.http(
        app,
        api,
        authenticator=GatewayAuthenticator(identities),
        middleware=[Middleware(RateLimitMiddleware, limiter=limiter, identities=identities)],
    )
    service = kit.service(application, [])
    service.on_stop.append(tracker.close)
    for client in (
        auth,
        order,
        queries.inventory,
        queries.product,
        queries.artisan,
        queries.analytics,
        queries.user,
    ):
        service.on_stop.append(client.aclose)
    return service
