"""The services the gateway reads from, behind its ports: auth's token verdicts and the order read model."""

import logging
from uuid import UUID

from a4co_sdk._runtime.http_errors import HttpError, NotFound
from a4co_sdk.clients.auth import AuthClient
from a4co_sdk.clients.order import OrderClient
from a4co_sdk.endpoints import auth as auth_endpoints
from a4co_sdk.endpoints import order as order_endpoints
from a4co_sdk.models import auth, order
from services.gateway.adapters.downstream import Downstream
from services.gateway.application.ports import Orders
from services.gateway.domain.errors import Unavailable

__all__ = ["AuthVerdicts", "OrderReadModel"]

log = logging.getLogger(__name__)


def _sla(sla_ms: int | None, default: int) -> int:
    return sla_ms if sla_ms is not None else default


class AuthVerdicts:
    """auth's `validateToken`, within its SLA's budget: the `validate` of `UserTokens`."""

    def __init__(self, client: AuthClient, downstream: Downstream) -> None:
        self.client = client
        self.downstream = downstream
        self.budget = downstream.budget(_sla(auth_endpoints.VALIDATE_TOKEN.sla_ms, 50))

    async def __call__(self, token: str) -> auth.TokenValidation:
        request = auth.ValidateTokenRequest(token=token)
        try:
            return await self.downstream.call(
                lambda: self.client.validate_token(body=request), budget=self.budget
            )
        except HttpError:  # 400/422 for a token the gateway already bounded: a bug on one side
            log.exception("auth refused a validation request")
            raise Unavailable(
                "The auth service could not check the token; retry in 1 second.", retry_after=1
            ) from None


class OrderReadModel(Orders):
    """The order service's `getOrder`; a 404 is "no such order (yet)", not an error."""

    def __init__(self, client: OrderClient, downstream: Downstream) -> None:
        self.client = client
        self.downstream = downstream
        self.budget = downstream.budget(_sla(order_endpoints.GET_ORDER.sla_ms, 100))

    async def get(self, order_id: UUID) -> order.OrderView | None:
        try:
            return await self.downstream.call(
                lambda: self.client.get_order(order_id=order_id), budget=self.budget
            )
        except NotFound:
            return None
        except HttpError as exc:
            log.exception("order answered %s for order %s", exc.status, order_id)
            raise Unavailable(
                "The order service answered unexpectedly; retry in 1 second.", retry_after=1
            ) from None
