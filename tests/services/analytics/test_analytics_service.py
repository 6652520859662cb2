"""The analytics service as a process: the peers' events in, the real-time dashboard out."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import httpx
import orjson
import pytest

from a4co.seed.loader import load_seed
from a4co.seed.products import listing_events
from a4co_sdk.clients.analytics import AnalyticsClient
from a4co_sdk.models import analytics, common, order, payment, user
from a4co_sdk.publishers.gateway import GatewayPublishers
from a4co_sdk.publishers.order import OrderPublishers
from a4co_sdk.publishers.payment import PaymentPublishers
from services.platform.projections import admin_subject
from services.platform.security import ServiceTokenIssuer
from tests.services.harness import Running, running

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

PRODUCTS = listing_events()


async def _names_known(service: Running) -> None:
    info = await service.js.consumer_info("PRODUCTS", "analytics-on-product-listed")
    assert (info.num_pending, info.num_ack_pending) == (0, 0)
    artisans = await service.js.consumer_info("ARTISANS", "analytics-on-artisan-onboarding-completed")
    assert (artisans.num_pending, artisans.num_ack_pending) == (0, 0)


@pytest.fixture(scope="module")
async def service(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    async with running(Path(tmp_path_factory.mktemp("analytics")), "analytics") as started:
        await load_seed(started.js, started.keys, customers=False)
        await started.wait_for(lambda: _names_known(started), timeout=60)
        yield started


def client(service: Running) -> AnalyticsClient:
    return service.client(AnalyticsClient, "analytics", as_service="admin")


async def place_and_confirm(
    service: Running, lines: list[tuple[int, int]], *, customer: UUID, pay: str
) -> UUID:
    """An order of (catalogue position, units) as the order and payment services would report it."""
    orders = OrderPublishers(service.js, cipher=service.cipher("order"))
    payments = PaymentPublishers(service.js, cipher=service.cipher("payment"))
    now = datetime.now(UTC)
    order_id = uuid4()
    items = [
        order.OrderItem(
            product_id=PRODUCTS[n].product_id,
            artisan_id=PRODUCTS[n].artisan_id,
            product_name=PRODUCTS[n].name,
            category=PRODUCTS[n].category,
            quantity=units,
            unit_price=PRODUCTS[n].price,
        )
        for n, units in lines
    ]
    await orders.order_created.publish(
        order.OrderCreated(
            order_id=order_id,
            customer_id=customer,
            items=items,
            total_amount=common.Money(amount=Decimal(pay), currency="EUR"),
            delivery_address=common.Address(
                recipient_name="María López",
                street="Calle Real 1",
                postal_code="23001",
                city="Jaén",
                province="Jaén",
                country="ES",
            ),
            estimated_delivery=common.DateRange(start=now, end=now + timedelta(days=2)),
            created_at=now,
        )
    )
    await payments.payment_succeeded.publish(
        payment.PaymentSucceeded(
            payment_id=uuid4(),
            order_id=order_id,
            amount=common.Money(amount=Decimal(pay), currency="EUR"),
            processor_reference="sim_ok",
            captured_at=now,
        )
    )
    await orders.order_state_changed.publish(
        order.OrderStateChanged(
            order_id=order_id,
            previous_state=order.OrderState.PAID,
            current_state=order.OrderState.CONFIRMED,
            reason="stock committed",
            changed_by="order",
            changed_at=now,
        )
    )
    return order_id


async def test_the_dashboard_follows_orders_payments_and_sessions(service: Running) -> None:
    buyer, browser = uuid4(), uuid4()
    gateway = GatewayPublishers(service.js, cipher=service.cipher("gateway"))
    for session_id, user_id in (("web-1", buyer), ("web-2", browser), ("web-3", browser), ("web-4", uuid4())):
        await gateway.user_behavior_tracked.publish(
            user.UserBehaviorTracked(
                tracking_id=uuid4(),
                user_id=user_id,
                action="product_view",
                context=user.BehaviorContext(page="/productos", product_id=PRODUCTS[0].product_id),
                timestamp=datetime.now(UTC),
                session_id=session_id,
            )
        )
    first = await place_and_confirm(service, [(0, 3), (20, 1)], customer=buyer, pay="60.00")
    await place_and_confirm(service, [(0, 1)], customer=uuid4(), pay="15.40")
    payments = PaymentPublishers(service.js, cipher=service.cipher("payment"))
    await payments.payment_refunded.publish(
        payment.PaymentRefunded(
            refund_id=uuid4(),
            payment_id=uuid4(),
            order_id=first,
            amount=common.Money(amount=Decimal("5.40"), currency="EUR"),
            outcome=payment.RefundOutcome.REFUNDED,
            refunded_at=datetime.now(UTC),
        )
    )

    async def counted() -> analytics.RealTimeDashboard:
        async with client(service) as api:
            board = await api.get_real_time_analytics(window=analytics.AnalyticsWindow.FIELD_5M)
        assert (board.orders_placed, board.orders_confirmed) == (2, 2)
        assert board.revenue.amount == Decimal("70.00")
        assert board.conversion_rate == 25.0  # one of four sessions belongs to a customer who ordered
        return board

    board = await service.wait_for(counted, timeout=15)
    assert board.average_order_value.amount == Decimal("35.00")
    assert board.orders_per_minute == 0.4
    top = board.top_products[0]
    assert (top.product_id, top.name, top.units) == (PRODUCTS[0].product_id, PRODUCTS[0].name, 4)
    assert top.revenue.amount == PRODUCTS[0].price.amount * 4
    assert board.top_artisans[0].name == "Almazara Sierra Mágina"
    assert board.top_artisans[0].orders == 2


async def test_every_window_and_the_default(service: Running) -> None:
    async with client(service) as api:
        default = await api.get_real_time_analytics()
        day = await api.get_real_time_analytics(window=analytics.AnalyticsWindow.FIELD_24H)
    assert default.window == analytics.AnalyticsWindow.FIELD_15M
    assert day.orders_placed >= default.orders_placed


async def test_a_bad_window_is_400_and_callers_are_checked(service: Running) -> None:
    base = service.market.url("analytics")
    admin = ServiceTokenIssuer("admin", service.keys).token_for("analytics")
    product = ServiceTokenIssuer("product", service.keys).token_for("analytics")
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        bad = await http.get(
            "/api/analytics/real-time?window=2h", headers={"Authorization": f"Bearer {admin}"}
        )
        anonymous = await http.get("/api/analytics/real-time")
        stranger = await http.get("/api/analytics/real-time", headers={"Authorization": f"Bearer {product}"})
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert anonymous.status_code == 401
    assert stranger.status_code == 403


async def test_the_figures_survive_a_rebuild(service: Running) -> None:
    async with client(service) as api:
        before = await api.get_real_time_analytics(window=analytics.AnalyticsWindow.FIELD_1H)
    reply = await service.nc.request(
        admin_subject("analytics"), orjson.dumps({"projection": "analytics-real-time"}), timeout=60
    )
    assert orjson.loads(reply.data)["ok"] is True

    async def same() -> None:
        async with client(service) as api:
            after = await api.get_real_time_analytics(window=analytics.AnalyticsWindow.FIELD_1H)
        assert after.model_dump(exclude={"generated_at"}) == before.model_dump(exclude={"generated_at"})

    await service.wait_for(same, timeout=30)


async def test_the_conversion_rate_is_a_business_metric(service: Running) -> None:
    async with client(service) as api:
        metrics = await api.get_metrics()
    assert 'business_conversion_rate{channel="storefront",customer_segment="all"}' in metrics
