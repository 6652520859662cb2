# ruff: noqa: ARG002 - the generated interface fixes the signatures; X-Request-Id is used through the runtime
"""The gateway's HTTP operations (openapi/gateway.yaml) on the generated `GatewayApi`.

Commands go to the order use cases; queries are proxied to the owning service with the gateway's service
token, within a budget below the route's SLA and through that service's circuit breaker. Every refusal
is a `GatewayError`, answered as its documented problem by `@answers`.
"""

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from a4co_sdk import MessageContext, use_context
from a4co_sdk._runtime.http_server import HttpResponse, current_request
from a4co_sdk._runtime.http_specs import EndpointSpec
from a4co_sdk.clients.analytics import AnalyticsClient
from a4co_sdk.clients.artisan import ArtisanClient
from a4co_sdk.clients.inventory import InventoryClient
from a4co_sdk.clients.product import ProductClient
from a4co_sdk.clients.user import UserClient
from a4co_sdk.endpoints import gateway as endpoints
from a4co_sdk.models import analytics, artisan, common, gateway, inventory, order, product, user
from a4co_sdk.servers.gateway import GatewayApi
from services.gateway.adapters.downstream import Downstream
from services.gateway.adapters.problems import answers
from services.gateway.adapters.tracking import BehaviorTracker
from services.gateway.adapters.users import Identities
from services.gateway.application import orders
from services.gateway.application.ports import AcceptedOrders, CommandBus, IdempotencyKeys, Orders
from services.gateway.domain.errors import Forbidden, Unauthenticated
from services.gateway.domain.orders import AcceptedOrder, order_path
from services.platform.observability import Metrics
from services.platform.probes import Probes, ReadinessCheck
from services.platform.security import UserPrincipal

__all__ = ["Gateway", "Queries"]

STILL_CREATING = {"Retry-After": str(orders.STILL_CREATING_RETRY)}
_TRACESTATE = re.compile(r"^[\x20-\x7e]{1,512}$")


@dataclass(frozen=True, slots=True)
class Queries:
    """The generated clients of the query services, each with its `Downstream` (breaker, budgets)."""

    inventory: InventoryClient
    product: ProductClient
    artisan: ArtisanClient
    analytics: AnalyticsClient
    user: UserClient
    downstream: Mapping[str, Downstream]


@contextmanager
def _flow() -> Iterator[None]:
    """The flow the request starts: what the commands and events it causes carry.

    The correlation id is the request id (a UUID v5 of it when the client sent one that is not a UUID,
    so one request id always names one flow) and the trace continues the client's `traceparent`.
    """
    info = current_request()
    try:
        correlation = UUID(info.request_id)
    except ValueError:
        correlation = uuid5(NAMESPACE_URL, f"a4co:request:{info.request_id}")
    headers = info.request.headers
    tracestate = headers.get("tracestate")
    context = MessageContext(
        correlation_id=correlation,
        traceparent=headers.get("traceparent"),
        tracestate=tracestate if tracestate and _TRACESTATE.match(tracestate) else None,
    )
    with use_context(context):
        yield


def _user() -> UserPrincipal:
    principal = current_request().principal
    if not isinstance(principal, UserPrincipal):  # the authenticator admits secured routes with a user only
        raise Unauthenticated("This operation needs a bearer token.")
    return principal


def _accepted(accepted: AcceptedOrder, **headers: str) -> HttpResponse:
    return HttpResponse(
        accepted.body(), status=202, headers={"Location": order_path(accepted.order_id), **headers}
    )


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


class Gateway(Probes, GatewayApi):
    def __init__(
        self,
        *,
        service_name: str,
        metrics: Metrics,
        readiness: Mapping[str, ReadinessCheck],
        identities: Identities,
        orders: Orders,
        accepted: AcceptedOrders,
        keys: IdempotencyKeys,
        bus: CommandBus,
        queries: Queries,
        tracker: BehaviorTracker,
    ) -> None:
        self.service_name = service_name
        self.metrics = metrics
        self.readiness_checks = readiness
        self.identities = identities
        self.orders = orders
        self.accepted = accepted
        self.keys = keys
        self.bus = bus
        self.queries = queries
        self.tracker = tracker

    def _downstream(self, name: str, endpoint: EndpointSpec[Any]) -> tuple[Downstream, float]:
        downstream = self.queries.downstream[name]
        return downstream, downstream.budget(endpoint.sla_ms or 100)

    async def _signed_in(self) -> UserPrincipal | None:
        """The user of a public route's request, when it came with a valid token (for tracking only)."""
        identity = await self.identities.of(current_request().request.scope)
        return identity.principal

    # -- commands ------------------------------------------------------------------------------------

    @answers
    async def gateway_create_order(
        self, *, idempotency_key: str | None, x_request_id: str | None, body: order.CreateOrder
    ) -> HttpResponse:
        with _flow():
            placed = await orders.place_order(
                body,
                user=_user(),
                idempotency_key=idempotency_key,
                keys=self.keys,
                accepted=self.accepted,
                bus=self.bus,
            )
        if placed.replayed:
            return _accepted(placed.accepted, **{"Idempotent-Replayed": "true"})
        return _accepted(placed.accepted)

    @answers
    async def gateway_get_order(
        self, *, order_id: UUID, x_request_id: str | None
    ) -> order.OrderView | HttpResponse:
        found = await orders.follow_order(order_id, user=_user(), orders=self.orders, accepted=self.accepted)
        if isinstance(found, AcceptedOrder):
            return HttpResponse(found.body(), status=202, headers=STILL_CREATING)
        return found

    @answers
    async def gateway_modify_order_items(
        self, *, order_id: UUID, x_request_id: str | None, body: gateway.ModifyOrderItemsRequest
    ) -> HttpResponse:
        with _flow():
            accepted = await orders.modify_order_items(
                order_id, body, user=_user(), orders=self.orders, accepted=self.accepted, bus=self.bus
            )
        return _accepted(accepted)

    @answers
    async def gateway_cancel_order(
        self, *, order_id: UUID, x_request_id: str | None, body: gateway.CancelOrderRequest
    ) -> HttpResponse:
        with _flow():
            accepted = await orders.cancel_order(
                order_id, body, user=_user(), orders=self.orders, accepted=self.accepted, bus=self.bus
            )
        return _accepted(accepted)

    # -- queries -------------------------------------------------------------------------------------

    @answers
    async def gateway_get_product_availability(
        self, *, product_id: UUID, x_request_id: str | None
    ) -> inventory.ProductAvailability:
        service, budget = self._downstream("inventory", endpoints.GATEWAY_GET_PRODUCT_AVAILABILITY)
        return await service.proxy(
            lambda: self.queries.inventory.get_product_availability(product_id=product_id), budget=budget
        )

    @answers
    async def gateway_search_products(
        self,
        *,
        q: str | None,
        category: common.ProductCategory | None,
        min_price: Decimal | None,
        max_price: Decimal | None,
        artisan_id: UUID | None,
        town: str | None,
        in_stock: bool | None,
        page: int,
        page_size: int,
        sort: product.SearchSort,
        x_request_id: str | None,
    ) -> product.SearchResult:
        service, budget = self._downstream("product", endpoints.GATEWAY_SEARCH_PRODUCTS)
        result = await service.proxy(
            lambda: self.queries.product.search_products(
                q=q,
                category=category,
                min_price=min_price,
                max_price=max_price,
                artisan_id=artisan_id,
                town=town,
                in_stock=in_stock,
                page=page,
                page_size=page_size,
                sort=sort,
            ),
            budget=budget,
        )
        who = await self._signed_in()
        if who is not None:
            filters = {
                "category": category.value if category is not None else None,
                "minPrice": _decimal(min_price),
                "maxPrice": _decimal(max_price),
                "artisanId": str(artisan_id) if artisan_id is not None else None,
                "town": town,
                "inStock": in_stock,
            }
            with _flow():
                self.tracker.track(
                    who,
                    "search",
                    page="/api/products/search",
                    search_query=q,
                    filters={k: v for k, v in filters.items() if v is not None},
                )
        return result

    @answers
    async def gateway_get_product_content(
        self, *, product_id: UUID, x_request_id: str | None
    ) -> product.ProductPageContent:
        service, budget = self._downstream("product", endpoints.GATEWAY_GET_PRODUCT_CONTENT)
        content = await service.proxy(
            lambda: self.queries.product.get_product_content(product_id=product_id), budget=budget
        )
        who = await self._signed_in()
        if who is not None:
            with _flow():
                self.tracker.track(who, "product_view", page="/api/products/content", product_id=product_id)
        return content

    @answers
    async def gateway_geo_search_artisans(
        self,
        *,
        latitude: float,
        longitude: float,
        radius_km: float,
        category: common.ProductCategory | None,
        limit: int,
        x_request_id: str | None,
    ) -> artisan.GeoSearchResult:
        service, budget = self._downstream("artisan", endpoints.GATEWAY_GEO_SEARCH_ARTISANS)
        return await service.proxy(
            lambda: self.queries.artisan.geo_search_artisans(
                latitude=latitude, longitude=longitude, radius_km=radius_km, category=category, limit=limit
            ),
            budget=budget,
        )

    @answers
    async def gateway_get_real_time_analytics(
        self, *, window: analytics.AnalyticsWindow, x_request_id: str | None
    ) -> analytics.RealTimeDashboard:
        service, budget = self._downstream("analytics", endpoints.GATEWAY_GET_REAL_TIME_ANALYTICS)
        return await service.proxy(
            lambda: self.queries.analytics.get_real_time_analytics(window=window), budget=budget
        )

    @answers
    async def gateway_get_payment_profile(
        self, *, user_id: UUID, x_request_id: str | None
    ) -> user.PaymentProfile:
        _own_or_admin(user_id)
        service, budget = self._downstream("user", endpoints.GATEWAY_GET_PAYMENT_PROFILE)
        return await service.proxy(
            lambda: self.queries.user.get_payment_profile(user_id=user_id), budget=budget
        )

    @answers
    async def gateway_get_chat_profile(self, *, user_id: UUID, x_request_id: str | None) -> user.ChatProfile:
        _own_or_admin(user_id)
        service, budget = self._downstream("user", endpoints.GATEWAY_GET_CHAT_PROFILE)
        return await service.proxy(lambda: self.queries.user.get_chat_profile(user_id=user_id), budget=budget)


def _own_or_admin(user_id: UUID) -> None:
    who = _user()
    if who.user_id != user_id and orders.ADMIN not in who.roles:
        raise Forbidden("A profile can be read by its own user or by an admin.")
