"""In-memory adapters of the gateway's ports, and the messages the tests build."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from a4co_sdk.models import common, order
from services.gateway.application.ports import AcceptedOrders, CommandBus, IdempotencyKeys, Orders
from services.gateway.domain.errors import TimedOut
from services.gateway.domain.idempotency import KeyRecord
from services.gateway.domain.orders import AcceptedOrder
from services.platform.security import UserPrincipal

T0 = datetime(2026, 11, 20, 10, 15, tzinfo=UTC)
OIL, PLATE, CARD = uuid4(), uuid4(), uuid4()


def customer(*roles: str, user_id: UUID | None = None) -> UserPrincipal:
    return UserPrincipal(
        user_id=user_id or uuid4(),
        roles=frozenset(roles or ("customer",)),
        token_id=uuid4(),
        issuer="auth",
        expires_at=T0 + timedelta(minutes=15),
    )


def create_order(customer_id: UUID, *, quantity: int = 3, order_id: UUID | None = None) -> order.CreateOrder:
    return order.CreateOrder(
        order_id=order_id,
        customer_id=customer_id,
        items=[
            order.OrderItem(
                product_id=OIL,
                quantity=quantity,
                unit_price=common.Money(amount=Decimal("9.80"), currency="EUR"),
            )
        ],
        delivery_address=common.Address(
            recipient_name="María López Ortega",
            street="Calle Real 12",
            postal_code="23440",
            city="Baeza",
            province="Jaén",
            country="ES",
        ),
        payment_method_id=CARD,
        metadata=order.OrderMetadata(
            device_info=common.DeviceInfo(type="mobile", os="Android 15", browser="Chrome 131"),
            session_id="sess-1",
        ),
    )


def view(
    order_id: UUID, customer_id: UUID, state: order.OrderState, lines: dict[UUID, int]
) -> order.OrderView:
    items = [
        order.OrderItem(
            product_id=p, quantity=q, unit_price=common.Money(amount=Decimal("9.80"), currency="EUR")
        )
        for p, q in lines.items()
    ]
    euros = common.Money(amount=Decimal("9.80"), currency="EUR")
    zero = common.Money(amount=Decimal("0.00"), currency="EUR")
    return order.OrderView(
        order_id=order_id,
        customer_id=customer_id,
        state=state,
        items=items,
        totals=order.OrderTotals(subtotal=euros, discount=zero, delivery_cost=zero, total=euros),
        saga=order.SagaView(saga_id=uuid4(), status=order.SagaStatus.COMPLETED, steps=[]),
        history=[order.OrderHistoryEntry(at=T0, state=state, reason="test")],
        created_at=T0,
        updated_at=T0,
    )


class FakeOrders(Orders):
    def __init__(self) -> None:
        self.views: dict[UUID, order.OrderView] = {}

    async def get(self, order_id: UUID) -> order.OrderView | None:
        return self.views.get(order_id)


class FakeAcceptedOrders(AcceptedOrders):
    def __init__(self) -> None:
        self.accepted: dict[UUID, AcceptedOrder] = {}

    async def remember(self, accepted: AcceptedOrder) -> None:
        self.accepted[accepted.order_id] = accepted

    async def get(self, order_id: UUID) -> AcceptedOrder | None:
        return self.accepted.get(order_id)


class FakeIdempotencyKeys(IdempotencyKeys):
    def __init__(self) -> None:
        self.records: dict[tuple[UUID, str], KeyRecord] = {}

    async def claim(self, customer_id: UUID, key: str, record: KeyRecord) -> KeyRecord | None:
        existing = self.records.get((customer_id, key))
        if existing is None:
            self.records[(customer_id, key)] = record
        return existing

    async def complete(self, customer_id: UUID, key: str, record: KeyRecord) -> None:
        self.records[(customer_id, key)] = record

    async def release(self, customer_id: UUID, key: str) -> None:
        self.records.pop((customer_id, key), None)


class FakeCommandBus(CommandBus):
    def __init__(self) -> None:
        self.sent: list[tuple[object, UUID | None]] = []
        self.fail_with: Exception | None = None
        self.clock = T0

    def _stored(self, command: object, message_id: UUID | None) -> datetime:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append((command, message_id))
        self.clock += timedelta(seconds=1)
        return self.clock

    async def create_order(self, command: order.CreateOrder, *, message_id: UUID) -> datetime:
        return self._stored(command, message_id)

    async def modify_order_items(self, command: order.ModifyOrderItems) -> datetime:
        return self._stored(command, None)

    async def cancel_order(self, command: order.CancelOrder) -> datetime:
        return self._stored(command, None)


def timed_out() -> TimedOut:
    return TimedOut("The order command was not acknowledged within 250 ms.")
