"""What the payment service tests publish (as the user and order services would) and read back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import orjson
from nats.js.errors import NotFoundError

from a4co_sdk.models import common, order, payment, user
from a4co_sdk.publishers.order import OrderPublishers
from a4co_sdk.publishers.user import UserPublishers
from services.platform.eventstore import Commit
from tests.services.harness import Running

ARTISAN_A, ARTISAN_B = UUID(int=0xA), UUID(int=0xB)


def money(amount: str) -> common.Money:
    return common.Money(amount=Decimal(amount), currency="EUR")


class Market:
    """Publishes as the user service (with its cipher) and the order saga would, reads what payment sent."""

    def __init__(self, running: Running) -> None:
        self.running = running
        self.js = running.js
        self.users = UserPublishers(running.js, cipher=running.cipher("user"))
        self.orders = OrderPublishers(running.js, cipher=running.cipher("order"))

    async def customer(self, *cards: str, registered: bool = True) -> tuple[UUID, list[UUID]]:
        """A customer with a saved card per number given; their method ids in the same order."""
        customer_id = uuid4()
        if registered:
            await self.users.user_registered.publish(
                user.UserRegistered(
                    user_id=customer_id,
                    email=f"{customer_id.hex[:8]}@example.es",
                    full_name="María López",
                    preferred_language=user.PreferredLanguage.ES,
                    marketing_consent=False,
                    registered_at=datetime.now(UTC),
                )
            )
        methods = []
        for number in cards:
            method_id = uuid4()
            await self.add_method(
                customer_id,
                payment.CardPaymentMethod(
                    type="card",
                    payment_method_id=method_id,
                    card_number=number,
                    cvv="123",
                    expiry_month=12,
                    expiry_year=datetime.now(UTC).year + 3,
                    holder_name="María López",
                    brand=payment.Brand.MASTERCARD if number.startswith("5") else payment.Brand.VISA,
                    last4=number[-4:],
                ),
            )
            methods.append(method_id)
        await self.running.wait_for(self.vault_caught_up)
        return customer_id, methods

    async def vault_caught_up(self) -> None:
        """The vault's consumer has applied every saved method published so far."""
        await self.caught_up("USERS", "payment-on-user-payment-method-added")

    async def caught_up(self, stream: str, consumer: str) -> None:
        """Every message published so far was handled and acknowledged by `consumer`."""
        info = await self.js.consumer_info(stream, consumer)
        assert (info.num_pending, info.num_ack_pending) == (0, 0), f"{consumer} is behind"

    async def add_method(self, customer_id: UUID, method: Any, *, wait: bool = False) -> None:
        await self.users.payment_method_added.publish(
            user.PaymentMethodAdded(
                user_id=customer_id,
                payment_method=payment.PaymentMethod(root=method),
                is_default=True,
                added_at=datetime.now(UTC),
            )
        )
        if wait:
            await self.running.wait_for(self.vault_caught_up)

    async def validate(self, customer_id: UUID, method_id: UUID, amount: str = "66.35") -> UUID:
        validation_id = uuid4()
        await self.orders.payment_method_validation_requested.publish(
            payment.PaymentMethodValidationRequested(
                validation_id=validation_id,
                order_id=uuid4(),
                customer_id=customer_id,
                payment_method_id=method_id,
                amount=money(amount),
                requested_at=datetime.now(UTC),
            )
        )
        return validation_id

    @staticmethod
    def payment_request(customer_id: UUID, method_id: UUID) -> payment.PaymentRequested:
        return payment.PaymentRequested(
            payment_id=uuid4(),
            order_id=uuid4(),
            customer_id=customer_id,
            payment_method_id=method_id,
            amount=money("66.35"),
            lines=[
                payment.PaymentLine(artisan_id=ARTISAN_A, amount=money("29.40")),
                payment.PaymentLine(artisan_id=ARTISAN_B, amount=money("33.00")),
            ],
            delivery_cost=money("3.95"),
            requested_at=datetime.now(UTC),
        )

    async def request_payment(self, request: payment.PaymentRequested) -> None:
        await self.orders.payment_requested.publish(request)

    async def refund(self, request: payment.PaymentRequested, amount: str | None = None) -> UUID:
        refund_id = uuid4()
        await self.orders.payment_refund_requested.publish(
            payment.PaymentRefundRequested(
                refund_id=refund_id,
                payment_id=request.payment_id,
                order_id=request.order_id,
                amount=money(amount) if amount else None,
                reason="order cancelled: payment_timeout",
                requested_at=datetime.now(UTC),
            )
        )
        return refund_id

    async def modify(self, request: payment.PaymentRequested, new_total: str) -> None:
        await self.orders.order_items_modified.publish(
            order.OrderItemsModified(
                order_id=request.order_id,
                added_items=[],
                removed_items=[],
                modified_items=[],
                new_total_amount=money(new_total),
                modified_by="customer",
                modified_at=datetime.now(UTC),
            )
        )

    # -- reading -------------------------------------------------------------------------------------------

    async def messages(self, subject: str, stream: str = "PAYMENTS") -> list[tuple[dict[str, str], Any]]:
        """Every message on `subject`: (headers, body)."""
        found: list[tuple[dict[str, str], Any]] = []
        sequence = 1
        while True:
            try:
                raw = await self.js.get_msg(stream, seq=sequence, subject=subject, next=True)
            except NotFoundError:
                return found
            found.append((dict(raw.headers or {}), orjson.loads(raw.data or b"{}")))
            assert raw.seq is not None
            sequence = raw.seq + 1

    async def sent(self, subject: str, **match: str) -> list[Any]:
        """Bodies on `subject` whose fields equal `match` (string forms)."""
        return [
            body
            for _, body in await self.messages(subject)
            if all(str(body.get(k)) == v for k, v in match.items())
        ]

    async def one(self, subject: str, *, timeout: float = 10.0, **match: str) -> Any:
        """Wait for a message on `subject` matching `match`; the first one."""

        async def probe() -> Any:
            found = await self.sent(subject, **match)
            assert found, f"nothing on {subject} with {match}"
            return found[0]

        return await self.running.wait_for(probe, timeout=timeout)

    async def count(self, subject: str, **match: str) -> int:
        return len(await self.sent(subject, **match))

    async def commits(self, payment_id: UUID) -> int:
        """How many commits the payment has in ES_PAYMENTS."""
        return len(await self.messages(f"es.payment.{payment_id}", stream="ES_PAYMENTS"))

    async def history(self, payment_id: UUID) -> list[str]:
        """The event types stored for a payment in ES_PAYMENTS, in order."""
        commits = await self.messages(f"es.payment.{payment_id}", stream="ES_PAYMENTS")
        return [e.type for _, body in commits for e in Commit.decode(orjson.dumps(body)).events]


def soon(seconds: float = 0.0) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)
