"""The gateway's order use cases with in-memory ports: ids, idempotency, visibility and allowed states."""

from uuid import UUID, uuid4

import pytest

from a4co_sdk.models import gateway, order
from services.gateway.application.orders import (
    Placed,
    cancel_order,
    follow_order,
    modify_order_items,
    place_order,
)
from services.gateway.domain import errors
from services.gateway.domain.idempotency import KeyRecord
from services.gateway.domain.orders import AcceptedOrder, command_message_id, fingerprint, order_id_for
from services.platform.security import UserPrincipal
from tests.unit.gateway.fakes import (
    OIL,
    PLATE,
    T0,
    FakeAcceptedOrders,
    FakeCommandBus,
    FakeIdempotencyKeys,
    FakeOrders,
    create_order,
    customer,
    timed_out,
    view,
)

KEY = "5b0f7d1e-8c3a-4e59-a6f2-91d4c7b3e8a0"


class Ports:
    def __init__(self) -> None:
        self.keys = FakeIdempotencyKeys()
        self.accepted = FakeAcceptedOrders()
        self.bus = FakeCommandBus()
        self.orders = FakeOrders()


@pytest.fixture
def ports() -> Ports:
    return Ports()


async def place(
    ports: Ports, request: order.CreateOrder, who: UserPrincipal, key: str | None = KEY
) -> Placed:
    return await place_order(
        request, user=who, idempotency_key=key, keys=ports.keys, accepted=ports.accepted, bus=ports.bus
    )


# -- placing ---------------------------------------------------------------------------------------------


async def test_a_keyed_order_gets_the_id_derived_from_customer_and_key(ports: Ports) -> None:
    maria = customer()
    placed = await place(ports, create_order(maria.user_id), maria)
    assert placed.accepted.order_id == order_id_for(maria.user_id, KEY)
    assert not placed.replayed
    [(command, message_id)] = ports.bus.sent
    assert isinstance(command, order.CreateOrder)
    assert command.order_id == placed.accepted.order_id
    assert message_id == command_message_id(placed.accepted.order_id, "create")
    assert ports.accepted.accepted[placed.accepted.order_id].customer_id == maria.user_id


async def test_the_same_key_and_body_replay_the_first_answer_without_publishing(ports: Ports) -> None:
    maria = customer()
    first = await place(ports, create_order(maria.user_id), maria)
    again = await place(ports, create_order(maria.user_id), maria)
    assert again.replayed
    assert again.accepted == first.accepted
    assert len(ports.bus.sent) == 1


async def test_the_same_key_with_another_body_is_a_conflict(ports: Ports) -> None:
    maria = customer()
    await place(ports, create_order(maria.user_id, quantity=3), maria)
    with pytest.raises(errors.IdempotencyKeyReused, match="different order"):
        await place(ports, create_order(maria.user_id, quantity=4), maria)
    assert len(ports.bus.sent) == 1


async def test_a_key_still_in_progress_is_a_conflict(ports: Ports) -> None:
    maria = customer()
    request = create_order(maria.user_id)
    ports.keys.records[(maria.user_id, KEY)] = KeyRecord(
        fingerprint(request), order_id_for(maria.user_id, KEY)
    )
    with pytest.raises(errors.IdempotencyKeyReused, match="still being processed"):
        await place(ports, request, maria)
    assert ports.bus.sent == []


async def test_two_customers_may_use_the_same_key(ports: Ports) -> None:
    maria, juan = customer(), customer()
    a = await place(ports, create_order(maria.user_id), maria)
    b = await place(ports, create_order(juan.user_id), juan)
    assert a.accepted.order_id != b.accepted.order_id
    assert len(ports.bus.sent) == 2


async def test_a_command_that_was_not_stored_frees_its_key_for_the_retry(ports: Ports) -> None:
    maria = customer()
    ports.bus.fail_with = timed_out()
    with pytest.raises(errors.TimedOut):
        await place(ports, create_order(maria.user_id), maria)
    assert ports.keys.records == {}
    ports.bus.fail_with = None
    retried = await place(ports, create_order(maria.user_id), maria)
    assert retried.accepted.order_id == order_id_for(maria.user_id, KEY)
    assert not retried.replayed


async def test_without_a_key_every_request_is_a_new_order(ports: Ports) -> None:
    maria = customer()
    a = await place(ports, create_order(maria.user_id), maria, key=None)
    b = await place(ports, create_order(maria.user_id), maria, key=None)
    assert a.accepted.order_id != b.accepted.order_id
    assert ports.keys.records == {}


async def test_a_body_with_an_order_id_is_refused(ports: Ports) -> None:
    maria = customer()
    with pytest.raises(errors.ValidationFailed) as refused:
        await place(ports, create_order(maria.user_id, order_id=uuid4()), maria)
    assert refused.value.errors[0]["pointer"] == "/orderId"
    assert ports.bus.sent == []


async def test_an_order_for_another_customer_is_forbidden(ports: Ports) -> None:
    with pytest.raises(errors.Forbidden):
        await place(ports, create_order(uuid4()), customer())
    assert ports.bus.sent == []


def test_the_fingerprint_is_the_content_not_the_bytes() -> None:
    maria = customer()
    request = create_order(maria.user_id)
    reordered = order.CreateOrder.model_validate_json(request.model_dump_json(by_alias=True))
    assert fingerprint(request) == fingerprint(reordered)
    assert fingerprint(request) != fingerprint(create_order(maria.user_id, quantity=2))


# -- following -------------------------------------------------------------------------------------------


async def test_an_accepted_order_not_created_yet_is_followed_as_accepted(ports: Ports) -> None:
    maria = customer()
    placed = await place(ports, create_order(maria.user_id), maria)
    found = await follow_order(
        placed.accepted.order_id, user=maria, orders=ports.orders, accepted=ports.accepted
    )
    assert found == placed.accepted


async def test_a_created_order_is_its_view(ports: Ports) -> None:
    maria, order_id = customer(), uuid4()
    ports.orders.views[order_id] = view(order_id, maria.user_id, order.OrderState.PAID, {OIL: 3})
    found = await follow_order(order_id, user=maria, orders=ports.orders, accepted=ports.accepted)
    assert isinstance(found, order.OrderView)
    assert found.state is order.OrderState.PAID


async def test_another_customers_order_is_not_found_but_an_admin_sees_it(ports: Ports) -> None:
    order_id = uuid4()
    ports.orders.views[order_id] = view(order_id, uuid4(), order.OrderState.PAID, {OIL: 3})
    with pytest.raises(errors.NotFound):
        await follow_order(order_id, user=customer(), orders=ports.orders, accepted=ports.accepted)
    found = await follow_order(order_id, user=customer("admin"), orders=ports.orders, accepted=ports.accepted)
    assert isinstance(found, order.OrderView)


async def test_another_customers_accepted_order_is_not_found(ports: Ports) -> None:
    order_id = uuid4()
    ports.accepted.accepted[order_id] = AcceptedOrder(order_id, uuid4(), T0)
    with pytest.raises(errors.NotFound):
        await follow_order(order_id, user=customer(), orders=ports.orders, accepted=ports.accepted)


# -- changing and cancelling -----------------------------------------------------------------------------


def changes(*pairs: tuple[UUID, int]) -> gateway.ModifyOrderItemsRequest:
    return gateway.ModifyOrderItemsRequest(
        changes=[order.ItemChange(product_id=p, quantity=q) for p, q in pairs]
    )


async def modify(
    ports: Ports, order_id: UUID, request: gateway.ModifyOrderItemsRequest, who: UserPrincipal
) -> AcceptedOrder:
    return await modify_order_items(
        order_id, request, user=who, orders=ports.orders, accepted=ports.accepted, bus=ports.bus
    )


async def cancel(ports: Ports, order_id: UUID, who: UserPrincipal) -> AcceptedOrder:
    return await cancel_order(
        order_id,
        gateway.CancelOrderRequest(reason="Ya no lo necesito"),
        user=who,
        orders=ports.orders,
        accepted=ports.accepted,
        bus=ports.bus,
    )


async def test_lowering_a_line_of_a_confirmed_order_publishes_the_change(ports: Ports) -> None:
    maria, order_id = customer(), uuid4()
    ports.orders.views[order_id] = view(
        order_id, maria.user_id, order.OrderState.CONFIRMED, {OIL: 3, PLATE: 1}
    )
    accepted = await modify(ports, order_id, changes((OIL, 2), (PLATE, 0)), maria)
    [(command, _)] = ports.bus.sent
    assert isinstance(command, order.ModifyOrderItems)
    assert command.order_id == order_id
    assert command.requested_by == maria.user_id
    assert [(c.product_id, c.quantity) for c in command.changes] == [(OIL, 2), (PLATE, 0)]
    assert accepted.order_id == order_id


@pytest.mark.parametrize(
    "state",
    [
        s
        for s in order.OrderState
        if s not in {order.OrderState.CONFIRMED, order.OrderState.DELIVERY_SCHEDULED}
    ],
)
async def test_lines_change_only_while_confirmed_or_scheduled(ports: Ports, state: order.OrderState) -> None:
    maria, order_id = customer(), uuid4()
    ports.orders.views[order_id] = view(order_id, maria.user_id, state, {OIL: 3})
    with pytest.raises(errors.OrderStateConflict, match=state.value):
        await modify(ports, order_id, changes((OIL, 2)), maria)
    assert ports.bus.sent == []


async def test_raising_a_quantity_or_an_unknown_product_is_unprocessable(ports: Ports) -> None:
    maria, order_id = customer(), uuid4()
    ports.orders.views[order_id] = view(order_id, maria.user_id, order.OrderState.CONFIRMED, {OIL: 3})
    with pytest.raises(errors.ValidationFailed) as refused:
        await modify(ports, order_id, changes((OIL, 5), (PLATE, 1), (OIL, 1)), maria)
    assert [e["pointer"] for e in refused.value.errors] == [
        "/changes/0/quantity",
        "/changes/1/productId",
        "/changes/2/productId",
    ]
    assert refused.value.errors[0]["message"] == "5 is more than the 3 units ordered"
    assert ports.bus.sent == []


async def test_a_change_to_an_order_still_being_created_is_a_conflict_with_retry_after(ports: Ports) -> None:
    maria = customer()
    placed = await place(ports, create_order(maria.user_id), maria)
    with pytest.raises(errors.OrderStateConflict) as refused:
        await cancel(ports, placed.accepted.order_id, maria)
    assert refused.value.retry_after == 1
    assert "still being created" in refused.value.detail
    assert len(ports.bus.sent) == 1  # only the CreateOrder


async def test_nobody_changes_another_customers_order_not_even_an_admin(ports: Ports) -> None:
    order_id = uuid4()
    ports.orders.views[order_id] = view(order_id, uuid4(), order.OrderState.CONFIRMED, {OIL: 3})
    for who in (customer(), customer("customer", "admin")):
        with pytest.raises(errors.NotFound):
            await modify(ports, order_id, changes((OIL, 1)), who)


@pytest.mark.parametrize(
    ("state", "allowed"),
    [
        (order.OrderState.PENDING, True),
        (order.OrderState.PAID, True),
        (order.OrderState.DELIVERY_SCHEDULED, True),
        (order.OrderState.SHIPPED, False),
        (order.OrderState.DELIVERED, False),
        (order.OrderState.COMPENSATING, False),
        (order.OrderState.CANCELLED, False),
    ],
)
async def test_an_order_is_cancelled_before_it_ships(
    ports: Ports, state: order.OrderState, allowed: bool
) -> None:
    maria, order_id = customer(), uuid4()
    ports.orders.views[order_id] = view(order_id, maria.user_id, state, {OIL: 3})
    if allowed:
        await cancel(ports, order_id, maria)
        [(command, _)] = ports.bus.sent
        assert isinstance(command, order.CancelOrder)
        assert (command.order_id, command.requested_by) == (order_id, maria.user_id)
    else:
        with pytest.raises(errors.OrderStateConflict, match="can no longer be cancelled"):
            await cancel(ports, order_id, maria)
        assert ports.bus.sent == []


async def test_an_admin_cancels_any_order(ports: Ports) -> None:
    order_id, admin = uuid4(), customer("admin")
    ports.orders.views[order_id] = view(order_id, uuid4(), order.OrderState.PAID, {OIL: 3})
    await cancel(ports, order_id, admin)
    [(command, _)] = ports.bus.sent
    assert isinstance(command, order.CancelOrder)
    assert command.requested_by == admin.user_id
