"""Every path of the Order Processing Saga through the whole marketplace, from the gateway to the end
state of every participant.

Orders go in through `POST /api/orders` as a storefront would; the seeded customers of decision 009 pick
the path (working card, declining card, Bizum without funds, a processor that never answers, a blocked
customer). What each participant did is read from the streams, and the stock from the inventory's public
availability: after a compensation nothing may stay reserved and no money may stay taken.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import nats.js.errors
import pytest
from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg

from a4co.seed import customers as seeded
from a4co.seed.customers import SeedCustomer
from a4co_sdk import ApiError
from a4co_sdk.clients.gateway import GatewayClient
from a4co_sdk.models import common, gateway, order, product
from a4co_sdk.publishers.gateway import GatewayPublishers
from a4co_sdk.streams import CONSUMERS
from services.platform.security import AesGcmFieldCipher, FieldKeyStore, KeyStore
from tests.e2e.conftest import SHORT_DEADLINES
from tests.e2e.shop import BLOCKED, JUAN, LUCIA, MARIA, PEDRO, WORKING, Shop
from tests.services.harness import body

pytestmark = pytest.mark.e2e


async def reserved_of(shop: Shop, items: list[product.ProductSummary]) -> dict[UUID, int]:
    return {p.product_id: (await shop.availability(p.product_id)).reserved for p in items}


async def on_hand_of(shop: Shop, items: list[product.ProductSummary]) -> dict[UUID, int]:
    return {p.product_id: (await shop.availability(p.product_id)).on_hand for p in items}


async def until_reserved_is(shop: Shop, expected: dict[UUID, int]) -> None:
    async def probe() -> None:
        assert await reserved_of_ids(shop, expected) == expected

    await shop.settle(probe)


async def reserved_of_ids(shop: Shop, ids: dict[UUID, int]) -> dict[UUID, int]:
    return {pid: (await shop.availability(pid)).reserved for pid in ids}


async def assert_compensated(
    shop: Shop,
    customer: SeedCustomer,
    order_id: UUID,
    reason: order.CancellationReason,
    reserved_before: dict[UUID, int],
) -> order.OrderView:
    """The order is cancelled for `reason`, nothing stays reserved and no capture stands unrefunded."""
    done = await shop.finished(customer, order_id)
    assert done.state is order.OrderState.CANCELLED
    assert done.cancellation_reason is reason
    assert done.saga.status.value == "compensated"
    await until_reserved_is(shop, reserved_before)
    captured = await shop.events("PAYMENTS", "payment.succeeded.v1", order_id)
    refunded = await shop.events("PAYMENTS", "payment.refunded.v1", order_id)
    assert len(captured) <= len(refunded), "a capture was not refunded"
    assert not await shop.events("INVENTORY", "inventory.reservation.committed.v1", order_id)
    assert not await shop.events("DELIVERIES", "delivery.scheduled.v1", order_id)
    return done


async def test_an_order_is_reserved_paid_split_confirmed_and_scheduled_for_delivery(shop: Shop) -> None:
    oil, honey = await shop.products(2, min_available=20)
    before = await on_hand_of(shop, [oil, honey])
    reserved = await reserved_of(shop, [oil, honey])

    order_id = await shop.place(MARIA, [(oil, 2), (honey, 1)])
    done = await shop.finished(MARIA, order_id)

    assert done.state is order.OrderState.DELIVERY_SCHEDULED
    assert done.saga.status.value == "completed"
    assert {s.status.value for s in done.saga.steps} == {"completed"}
    assert [h.state.value for h in done.history] == [
        "pending",
        "stock_reserved",
        "payment_processing",
        "paid",
        "confirmed",
        "delivery_scheduled",
    ]
    # Inventory: the units left the shelf and nothing is held for the order any more.
    await until_reserved_is(shop, reserved)
    assert await on_hand_of(shop, [oil, honey]) == {
        oil.product_id: before[oil.product_id] - 2,
        honey.product_id: before[honey.product_id] - 1,
    }
    commits = await shop.events("INVENTORY", "inventory.reservation.committed.v1", order_id)
    assert sum(i["quantity"] for c in commits for i in c["committedItems"]) == 3
    # Payment: one capture of the order's total, split between the artisans and the platform.
    (captured,) = await shop.events("PAYMENTS", "payment.succeeded.v1", order_id)
    assert Decimal(captured["amount"]["amount"]) == done.totals.total.amount
    (split,) = await shop.events("PAYMENTS", "payment.split.created.v1", order_id)
    assert sum(Decimal(s["amount"]["amount"]) for s in split["splits"]) == done.totals.total.amount
    assert not await shop.events("PAYMENTS", "payment.refunded.v1", order_id)
    # Delivery, notification and loyalty all answered for this order.
    (scheduled,) = await shop.events("DELIVERIES", "delivery.scheduled.v1", order_id)
    assert scheduled["trackingCode"]
    # NOTIFICATIONS keeps a message only until its consumers took it (interest retention): the saga's
    # step records which notification confirmed it.
    notify = next(s for s in done.saga.steps if s.name.value == "notify-participants")
    assert notify.detail is not None
    assert notify.detail.startswith("notification ")
    (points,) = await shop.settle(lambda: _one(shop.events("LOYALTY", "loyalty.points.earned.v1", order_id)))
    assert points["customerId"] == str(MARIA.id)
    assert points["points"] >= 1


async def test_more_units_than_are_left_cancel_the_order_before_reserving(shop: Shop) -> None:
    (oil,) = await shop.products(1, min_available=1)
    level = await shop.availability(oil.product_id)
    reserved = await reserved_of(shop, [oil])

    order_id = await shop.place(MARIA, [(oil, level.available + 1)])

    done = await assert_compensated(
        shop, MARIA, order_id, order.CancellationReason.INSUFFICIENT_STOCK, reserved
    )
    # The order service's availability check saw it before anything was reserved.
    assert not await shop.events("INVENTORY", "inventory.reservation.requested.v1", order_id)
    assert not await shop.events("PAYMENTS", "payment.requested.v1", order_id), "paid for nothing"
    steps = {s.name.value: s for s in done.saga.steps}
    assert steps["reserve-stock"].status.value == "failed"
    assert (await shop.availability(oil.product_id)).on_hand == level.on_hand


async def test_two_orders_racing_for_the_last_units_one_wins_and_the_other_is_refused(shop: Shop) -> None:
    """Both pass the availability check; the inventory's reservation decides, all or nothing."""
    found = await shop.public.gateway_search_products(q="cerámica", in_stock=True, page_size=50)
    levels = [await shop.availability(p.product_id) for p in found.items]
    # A few units, and a total every payment method takes (Bizum stops at 1000 EUR; decision 009).
    item, level = next(
        (p, lv)
        for p, lv in zip(found.items, levels, strict=True)
        if 2 <= lv.available <= 40 and lv.available * p.price.amount <= 400
    )
    units = level.available
    (restocked_before,) = (await shop.restocked([item.product_id])).values()

    first, second = await asyncio.gather(
        shop.place(WORKING[2], [(item, units)]), shop.place(WORKING[3], [(item, units)])
    )
    views = [await shop.finished(WORKING[2], first), await shop.finished(WORKING[3], second)]

    states = sorted(v.state.value for v in views)
    assert states == ["cancelled", "delivery_scheduled"], [
        (v.state.value, v.cancellation_reason, [(s.name.value, s.detail) for s in v.saga.steps])
        for v in views
    ]
    loser = next(v for v in views if v.state is order.OrderState.CANCELLED)
    assert loser.cancellation_reason is order.CancellationReason.INSUFFICIENT_STOCK
    (refused,) = await shop.events("INVENTORY", "inventory.reservation.failed.v1", loser.order_id)
    assert refused["reason"] == "insufficient_stock"
    assert not await shop.events("PAYMENTS", "payment.requested.v1", loser.order_id)

    async def sold_out() -> None:
        # Selling the last units reaches the threshold, so a restock may already have arrived.
        (now_restocked,) = (await shop.restocked([item.product_id])).values()
        extra = now_restocked - restocked_before
        now = await shop.availability(item.product_id)
        expected = (level.on_hand - units + extra, level.reserved, extra)
        assert (now.on_hand, now.reserved, now.available) == expected

    await shop.settle(sold_out)


@pytest.mark.parametrize(
    ("customer", "processor_answer"),
    [(JUAN, "declined"), (LUCIA, "insufficient_funds")],
    ids=["declining card", "Bizum without funds"],
)
async def test_a_refused_payment_releases_the_stock(
    shop: Shop, customer: SeedCustomer, processor_answer: str
) -> None:
    oil, honey = await shop.products(2, min_available=5)
    reserved = await reserved_of(shop, [oil, honey])

    order_id = await shop.place(customer, [(oil, 1), (honey, 2)])

    await assert_compensated(shop, customer, order_id, order.CancellationReason.PAYMENT_DECLINED, reserved)
    (failed,) = await shop.events("PAYMENTS", "payment.failed.v1", order_id)
    assert failed["reason"] == processor_answer
    assert not await shop.events("PAYMENTS", "payment.succeeded.v1", order_id)
    released = await shop.events("INVENTORY", "inventory.reservation.released.v1", order_id)
    confirmed = await shop.events("INVENTORY", "inventory.reservation.confirmed.v1", order_id)
    assert {r["reservationId"] for r in released} == {r["reservationId"] for r in confirmed}
    assert released


async def test_a_payment_that_never_answers_is_voided_after_its_deadline(shop: Shop) -> None:
    (oil,) = await shop.products(1, min_available=5)
    reserved = await reserved_of(shop, [oil])

    order_id = await shop.place(PEDRO, [(oil, 1)])

    done = await assert_compensated(shop, PEDRO, order_id, order.CancellationReason.PAYMENT_TIMEOUT, reserved)
    steps = {s.name.value: s.status.value for s in done.saga.steps}
    assert steps["process-payment"] == "compensated"
    (voided,) = await shop.events("PAYMENTS", "payment.refunded.v1", order_id)
    assert voided["outcome"] == "voided"  # the authorisation released, nothing was taken
    assert Decimal(voided["amount"]["amount"]) == done.totals.total.amount
    assert not await shop.events("PAYMENTS", "payment.succeeded.v1", order_id)


async def test_a_blocked_customer_is_refused_and_charged_nothing(shop: Shop) -> None:
    (oil,) = await shop.products(1, min_available=5)
    reserved = await reserved_of(shop, [oil])

    order_id = await shop.place(BLOCKED, [(oil, 1)])

    await assert_compensated(shop, BLOCKED, order_id, order.CancellationReason.CUSTOMER_BLOCKED, reserved)
    assert not await shop.events("PAYMENTS", "payment.requested.v1", order_id)


async def test_lowering_a_delivered_order_refunds_the_difference_and_returns_the_units(shop: Shop) -> None:
    customer = WORKING[0]
    oil, honey = await shop.products(2, min_available=10)
    order_id = await shop.place(customer, [(oil, 3), (honey, 1)])
    placed = await shop.finished(customer, order_id)
    assert placed.state is order.OrderState.DELIVERY_SCHEDULED
    on_hand = await on_hand_of(shop, [oil])

    change = gateway.ModifyOrderItemsRequest(
        changes=[order.ItemChange(product_id=oil.product_id, quantity=1)]
    )
    async with shop.client(customer) as client:
        accepted = await client.gateway_modify_order_items(order_id=order_id, body=change)
    assert accepted.order_id == order_id

    (refund,) = await shop.settle(lambda: _one(shop.events("PAYMENTS", "payment.refunded.v1", order_id)))
    assert refund["outcome"] == "refunded"
    assert Decimal(refund["amount"]["amount"]) == 2 * oil.price.amount

    async def units_back() -> None:
        assert await on_hand_of(shop, [oil]) == {oil.product_id: on_hand[oil.product_id] + 2}

    await shop.settle(units_back)

    async def lowered() -> order.OrderView:
        seen = await shop.view(customer, order_id)
        assert seen is not None
        assert {i.product_id: i.quantity for i in seen.items}[oil.product_id] == 1
        return seen

    view = await shop.settle(lowered)
    assert view.totals.total.amount == placed.totals.total.amount - 2 * oil.price.amount


async def test_raising_a_quantity_or_changing_a_cancelled_order_is_a_409(shop: Shop) -> None:
    (oil,) = await shop.products(1, min_available=5)
    order_id = await shop.place(JUAN, [(oil, 1)])
    await shop.finished(JUAN, order_id)  # cancelled: Juan's card is declined

    async with shop.client(JUAN) as client:
        with pytest.raises(ApiError) as raised:
            await client.gateway_modify_order_items(
                order_id=order_id,
                body=gateway.ModifyOrderItemsRequest(
                    changes=[order.ItemChange(product_id=oil.product_id, quantity=0)]
                ),
            )
    assert raised.value.status == 409
    assert "cancelled" in str(raised.value.problem.get("detail"))


async def test_a_poison_command_is_dead_lettered_then_replayed_into_a_complete_saga(
    shop: Shop, tmp_path: Path
) -> None:
    """The gateway rotated its `pii` field key before the key reached the order service's key store.

    The order service cannot decrypt the delivery address: the command goes to the DLQ at once
    (undecodable), and the consumer goes on with other messages. Once the key is distributed (the fix),
    `a4co dlq replay` sends the original command again and the saga runs to the end.
    """
    market = shop.market
    shared = market.root / "keys"
    ahead = tmp_path / "gateway-keys"
    shutil.copytree(shared, ahead)
    new_key = FieldKeyStore(KeyStore(ahead).secrets).rotate("pii")
    customer = WORKING[1]
    (oil,) = await shop.products(1, min_available=5)
    command = order.CreateOrder(
        order_id=uuid4(),
        customer_id=customer.id,
        items=[order.OrderItem(product_id=oil.product_id, quantity=1, unit_price=oil.price)],
        delivery_address=seeded.address(customer),
        payment_method_id=seeded.payment_method_id(customer.email, 0),
        metadata=order.OrderMetadata(device_info=common.DeviceInfo(type="desktop"), session_id="poison"),
    )
    assert command.order_id is not None
    gateway_cipher = AesGcmFieldCipher.for_service("gateway", KeyStore(ahead))
    await GatewayPublishers(market.js, cipher=gateway_cipher).create_order.publish(command)

    dead = await market.wait_for(
        lambda: _dead_letter_of(market.js, "order.create.v1", str(command.order_id)), timeout=20
    )
    letter = body(dead)
    assert letter["failureKind"] == "undecodable"
    assert letter["attempts"] == 1
    assert new_key in letter["error"]["message"]
    assert letter["service"] == "order"
    # The consumer is alive and well: another order goes through meanwhile.
    other = await shop.place(MARIA, [(oil, 1)])
    assert (await shop.finished(MARIA, other)).state is order.OrderState.DELIVERY_SCHEDULED
    assert await shop.view(customer, command.order_id) is None

    # The fix: the rotated key reaches the shared key store.
    shutil.copy2(ahead / f"field-{new_key}.key", shared / f"field-{new_key}.key")
    replay = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "a4co",
        "dlq",
        "replay",
        str(dead.seq),
        "--yes",
        env={**os.environ, "NATS_URL": market.market.stack.nats_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await replay.communicate()
    assert replay.returncode == 0, output.decode()

    done = await shop.finished(customer, command.order_id)
    assert done.state is order.OrderState.DELIVERY_SCHEDULED
    with pytest.raises(nats.js.errors.NotFoundError):
        await market.js.get_msg("DLQ", dead.seq)


# Streams whose messages are delivered again: every public one. The event stores (ES_*) are not delivered
# to anyone but their relay and are appended to under optimistic concurrency; the DLQ is not replayed here.
# NOTIFICATIONS has interest retention: what its consumers took is gone, so there is nothing to copy.
REDELIVERED = (
    "ORDERS",
    "INVENTORY",
    "PAYMENTS",
    "USERS",
    "USER_ACTIVITY",
    "ARTISANS",
    "PRODUCTS",
    "DELIVERIES",
    "LOYALTY",
)
# Published on a timer, not in answer to a message: their counts may change on their own.
TIME_DRIVEN = {"inventory.stock.reported.v1", "artisan.performance.evaluated.v1"}
# Long enough for everything grouped so far to be sent.
SENDER_SETTLES = (
    sum(
        float(SHORT_DEADLINES[k])
        for k in ("A4CO_NOTIFICATION_GROUP_WINDOW", "A4CO_NOTIFICATION_SEND_INTERVAL")
    )
    + 1
)


async def test_every_message_delivered_again_changes_no_end_state(shop: Shop) -> None:
    """Every message of every public stream is published again under a new `Nats-Msg-Id` (as a producer
    retrying after JetStream's duplicate window would): no order, stock level, payment or notification
    may change, and nothing may answer the copies."""
    market = shop.market
    (oil,) = await shop.products(1, min_available=5)
    for customer in (MARIA, JUAN):  # a confirmed and a compensated order, whatever ran before
        await shop.finished(customer, await shop.place(customer, [(oil, 1)]))
    await _quiet(market.js)
    created = await market.messages(
        "ORDERS", "order.created.v1", count=await market.count("ORDERS", "order.created.v1")
    )
    orders = [UUID(c["orderId"]) for c in created]
    products = sorted({UUID(i["productId"]) for c in created for i in c["items"]})
    admin = shop.client(MARIA, roles=("admin",))
    before = await _end_state(shop, admin, orders, products)
    counts = {name: await _subject_counts(market.js, name) for name in (*REDELIVERED, "DLQ")}
    await asyncio.sleep(SENDER_SETTLES)  # notifications grouped before the copies are sent first
    notified = await _notifications_finished(shop)

    copies = 0
    for name in REDELIVERED:
        copies += await _publish_again(market.js, name)
    await _quiet(market.js)
    await asyncio.sleep(SENDER_SETTLES)

    assert await _end_state(shop, admin, orders, products) == before
    for name in REDELIVERED:
        after = await _subject_counts(market.js, name)
        for subject, n in counts[name].items():
            if subject not in TIME_DRIVEN:
                assert after[subject] == 2 * n, f"{subject}: {n} before, {after[subject]} after the copies"
    assert await _subject_counts(market.js, "DLQ") == counts["DLQ"], "a copy was dead-lettered"
    assert await _notifications_finished(shop) == notified, "a notification was sent again"
    assert copies > 1000  # the seed alone is over a thousand events
    await admin.aclose()


async def _end_state(
    shop: Shop, admin: GatewayClient, orders: list[UUID], products: list[UUID]
) -> dict[str, Any]:
    views = {}
    for order_id in orders:
        view = await admin.gateway_get_order(order_id=order_id)
        assert isinstance(view, order.OrderView)
        views[str(order_id)] = (
            view.state.value,
            view.saga.status.value,
            view.cancellation_reason,
            view.totals.total.amount,
            sorted((str(i.product_id), i.quantity) for i in view.items),
        )
    stock = {}
    for product_id in products:
        level = await shop.availability(product_id)
        stock[str(product_id)] = (level.on_hand, level.reserved, level.available)
    return {"orders": views, "stock": stock}


async def _notifications_finished(shop: Shop) -> float:
    """Notifications the sender finished (sent, failed or expired), from the service's metrics."""
    async with httpx.AsyncClient() as client:
        metrics = (await client.get(f"{shop.market.market.url('notification')}/metrics")).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("a4co_notifications_total{")
    )


async def _subject_counts(js: JetStreamContext, stream: str) -> dict[str, int]:
    info = await js.stream_info(stream, subjects_filter=">")
    return dict(info.state.subjects or {})


async def _publish_again(js: JetStreamContext, stream: str) -> int:
    """Publish every message of `stream` again, headers and body unchanged but for a new Nats-Msg-Id."""
    info = await js.stream_info(stream)
    copies = 0
    if not info.state.messages:
        return 0
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        try:
            msg = await js.get_msg(stream, seq)
        except nats.js.errors.NotFoundError:
            continue
        headers = {k: v for k, v in (msg.headers or {}).items() if not k.startswith("Nats-Expected")}
        headers["Nats-Msg-Id"] = f"{headers.get('Nats-Msg-Id', seq)}.again"
        assert msg.subject is not None
        await js.publish(msg.subject, msg.data or b"", stream=stream, headers=headers)
        copies += 1
    return copies


async def _quiet(js: JetStreamContext, *, timeout: float = 90) -> None:
    """Every durable consumer of the contract has taken and settled everything (twice in a row)."""
    deadline = asyncio.get_running_loop().time() + timeout
    calm = 0
    while calm < 2:
        busy = []
        for spec in CONSUMERS.values():
            info = await js.consumer_info(spec.stream, spec.name)
            if info.num_pending or info.num_ack_pending:
                busy.append(f"{spec.name}: {info.num_pending} pending, {info.num_ack_pending} unacked")
        calm = 0 if busy else calm + 1
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("consumers still busy: " + "; ".join(busy))
        await asyncio.sleep(1.0)


async def _dead_letter_of(js: JetStreamContext, subject: str, order_id: str) -> RawStreamMsg:
    dead = await js.get_last_msg("DLQ", f"dlq.{subject}")
    assert order_id in body(dead)["event"]["body"]
    return dead


async def _one(found: Any) -> list[Any]:
    items = await found
    assert len(items) == 1, items
    return list(items)
