"""Handlers: plain functions of (message, unit of work, stores, publishers) and the time, one per use case.

Every message a handler sends goes through `uow.publish` (the outbox, in the handler's transaction), and
every stock change goes through `_changed`, which announces a threshold crossing when there is one. Each
request is answered, also when there is nothing to do, and answered again with the current outcome when
it comes back: the business ids (reservation id, order id, purchase order id) make repeats harmless on
top of the inbox, which already drops redelivered messages.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4, uuid5

from a4co_sdk._runtime.context import MessageContext, current_context, use_context
from a4co_sdk.models import artisan, inventory, order, product
from a4co_sdk.publishers.inventory import InventoryPublishers
from services.inventory.application.ports import Availability, AvailabilityCache, Stores
from services.inventory.domain.replenishment import (
    DEMAND_WINDOW_DAYS,
    PurchaseOrder,
    PurchaseStatus,
    Workshop,
    average_daily_sales,
    estimated_stockout,
    plan_purchase,
    recommended_quantity,
)
from services.inventory.domain.reservations import (
    Answer,
    HeldLine,
    Reservation,
    ReservationConflictError,
    ReservationStatus,
    where_held,
)
from services.inventory.domain.stock import (
    Line,
    Shortage,
    ShortageReason,
    Stock,
    StockInvariantError,
    Unavailable,
    alert_for,
    cross,
    merge_lines,
    shortage,
    threshold_value,
)
from services.platform.unit_of_work import UnitOfWork

__all__ = [
    "REPORT_CHUNK",
    "cancel_order",
    "commit_reservation",
    "expire_due_reservations",
    "list_product",
    "modify_order",
    "project_levels",
    "receive_due_restocks",
    "record_demand",
    "record_workshop",
    "release_reservation",
    "replenish",
    "report_stock",
    "reserve_stock",
]

log = logging.getLogger(__name__)

REPORT_CHUNK = 500
"""Levels per `inventory.stock.reported.v1` message."""
_REPLENISHMENT = UUID("6d1c4f0e-2b7a-5c39-9a57-3f0c2e8b4a11")
"""Namespace of the ids derived from a threshold event's id (purchase order, restock)."""


# -- messages -------------------------------------------------------------------------------------------


def _level(stock: Stock) -> inventory.StockLevel:
    return inventory.StockLevel(
        product_id=stock.product_id,
        on_hand=stock.on_hand,
        reserved=stock.reserved,
        available=stock.available,
        version=stock.version,
    )


def _levels(stocks: Sequence[Stock]) -> list[inventory.StockLevel]:
    return [_level(s) for s in sorted(stocks, key=lambda s: s.product_id)]


def _quantities(lines: Sequence[Line]) -> list[inventory.ProductQuantity]:
    return [inventory.ProductQuantity(product_id=line.product_id, quantity=line.quantity) for line in lines]


async def _current_levels(stores: Stores, reservation: Reservation) -> list[inventory.StockLevel]:
    found = await stores.stock.get([line.product_id for line in reservation.lines])
    return _levels(list(found.values()))


async def _changed(
    stocks: Sequence[Stock], uow: UnitOfWork, stores: Stores, publishers: InventoryPublishers, now: datetime
) -> None:
    """After a change: record the threshold band, and announce it when stock just fell into it."""
    for stock in stocks:
        crossing = cross(stock.alert, stock.available, stock.threshold)
        if crossing.alert != stock.alert:
            await stores.stock.record_alert(stock.product_id, crossing.alert)
        if crossing.reached is None:
            continue
        since = (now - timedelta(days=DEMAND_WINDOW_DAYS)).date()
        units = await stores.replenishment.units_ordered(stock.product_id, since=since)
        average = average_daily_sales(units, listed_at=stock.listed_at, now=now)
        uow.publish(
            publishers.stock_threshold_reached.prepare(
                inventory.StockThresholdReached(
                    product_id=stock.product_id,
                    current_stock=stock.available,
                    threshold=threshold_value(crossing.reached, stock.threshold),
                    threshold_type=inventory.ThresholdType(crossing.reached.value),
                    artisan_id=stock.artisan_id,
                    product_name=stock.name,
                    last_restock_date=stock.last_restock_at,
                    average_daily_sales=average,
                    estimated_stockout_date=estimated_stockout(stock.available, average, now),
                )
            )
        )


def _adjusted(
    stock: Stock, delta: int, reason: inventory.StockAdjustmentReason, now: datetime
) -> inventory.StockAdjusted:
    return inventory.StockAdjusted(
        product_id=stock.product_id,
        artisan_id=stock.artisan_id,
        delta=delta,
        reason=reason,
        adjusted_at=now,
        stock_level=_level(stock),
    )


# -- catalogue and artisans -----------------------------------------------------------------------------


async def list_product(
    listed: product.ProductListed,
    uow: UnitOfWork,
    stores: Stores,
    publishers: InventoryPublishers,
    *,
    now: datetime,
) -> None:
    """A new product starts with its initial stock (version 1). Listed again, it keeps the stock it has:
    the first listing created it, and restocks and sales have changed it since."""
    stock = Stock(
        product_id=listed.product_id,
        artisan_id=listed.artisan_id,
        name=listed.name,
        threshold=listed.low_stock_threshold,
        on_hand=listed.initial_stock,
        reserved=0,
        version=1,
        alert=None,
        listed_at=listed.listed_at,
        last_restock_at=listed.listed_at,
    )
    if not await stores.stock.add(stock):
        return
    uow.publish(
        publishers.stock_adjusted.prepare(
            _adjusted(stock, listed.initial_stock, inventory.StockAdjustmentReason.INITIAL, now)
        )
    )
    await _changed([stock], uow, stores, publishers, now)


async def record_workshop(completed: artisan.ArtisanOnboardingCompleted, stores: Stores) -> None:
    """Where the artisan's goods are (its town) and how much it can make a month, for the saga."""
    await stores.replenishment.save_workshop(
        Workshop(
            artisan_id=completed.artisan_id,
            town=completed.business_info.town,
            monthly_capacity=completed.delivery_capabilities.monthly_capacity_units,
            completed_at=completed.completed_at,
        )
    )


async def record_demand(created: order.OrderCreated, stores: Stores) -> None:
    """Units ordered per product and day, for the average daily sales of threshold events."""
    day = created.created_at.astimezone(UTC).date()
    for line in merge_lines(Line(item.product_id, item.quantity) for item in created.items):
        await stores.replenishment.record_demand(created.order_id, line.product_id, day, line.quantity)


# -- reservations ---------------------------------------------------------------------------------------


async def reserve_stock(
    request: inventory.StockReservationRequested,
    uow: UnitOfWork,
    stores: Stores,
    publishers: InventoryPublishers,
    *,
    now: datetime,
) -> None:
    """Hold every line until the request's expiration time, or nothing; answer confirmed or failed."""
    existing = await stores.reservations.get(request.reservation_id)
    if existing is not None and existing.is_due(now):  # its time is up, whether the timer saw it or not
        await _expire(existing, uow, stores, publishers, now)
        return
    if existing is not None:
        await _answer_again(existing, uow, stores, publishers)
        return
    flow = current_context()  # the request's flow, kept so that a later expiry belongs to it
    correlation_id = flow.correlation_id if flow else None
    causation_id = flow.causation_id if flow else None
    priority = request.priority.value
    if request.expiration_time <= now:
        late = Reservation.expired_on_arrival(
            request.reservation_id,
            request.order_id,
            priority=priority,
            expires_at=request.expiration_time,
            now=now,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )
        await stores.reservations.add(late)
        _publish_expired(late, [], [], uow, publishers)
        return
    lines = merge_lines(Line(item.product_id, item.quantity) for item in request.items)
    ids = [line.product_id for line in lines]
    missing = shortage(lines, await stores.stock.get(ids))
    held = None if missing is not None else await stores.stock.hold(lines)
    if held is None:
        if missing is None:  # the units went between reading and holding (PostgreSQL): read again
            found = await stores.stock.get(ids)
            missing = shortage(lines, found) or Shortage(
                ShortageReason.INSUFFICIENT_STOCK,
                tuple(
                    Unavailable(ln.product_id, ln.quantity, found[ln.product_id].available) for ln in lines
                ),
            )
        failed = Reservation.failed(
            request.reservation_id,
            request.order_id,
            missing,
            priority=priority,
            expires_at=request.expiration_time,
            now=now,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )
        await stores.reservations.add(failed)
        _publish_failed(failed, uow, publishers)
        return
    artisans = {s.product_id: s.artisan_id for s in held}
    workshops = await stores.replenishment.workshops(set(artisans.values()))
    reservation = Reservation.held(
        request.reservation_id,
        request.order_id,
        tuple(
            HeldLine(
                line.product_id,
                line.quantity,
                *where_held(artisans[line.product_id], workshops.get(artisans[line.product_id])),
            )
            for line in lines
        ),
        priority=priority,
        expires_at=request.expiration_time,
        now=now,
        correlation_id=correlation_id,
        causation_id=causation_id,
    )
    await stores.reservations.add(reservation)
    _publish_confirmed(reservation, _levels(held), uow, publishers)
    await _changed(held, uow, stores, publishers, now)


async def _answer_again(
    reservation: Reservation, uow: UnitOfWork, stores: Stores, publishers: InventoryPublishers
) -> None:
    """A request seen before gets its current outcome. Nothing is freed by a repeated answer, so an
    expired or released one lists no released items; stock levels are the current ones."""
    levels = await _current_levels(stores, reservation)
    answer = reservation.answer()
    if answer is Answer.CONFIRMED:
        _publish_confirmed(reservation, levels, uow, publishers)
    elif answer is Answer.FAILED:
        _publish_failed(reservation, uow, publishers)
    elif answer is Answer.EXPIRED:
        _publish_expired(reservation, [], levels, uow, publishers)
    else:
        _publish_released(reservation, [], levels, reservation.reason or "released", uow, publishers)


def _publish_confirmed(
    reservation: Reservation,
    levels: list[inventory.StockLevel],
    uow: UnitOfWork,
    publishers: InventoryPublishers,
) -> None:
    uow.publish(
        publishers.stock_reservation_confirmed.prepare(
            inventory.StockReservationConfirmed(
                reservation_id=reservation.reservation_id,
                order_id=reservation.order_id,
                reserved_items=[
                    inventory.ReservedItem(
                        product_id=line.product_id,
                        quantity=line.quantity,
                        warehouse_id=line.warehouse_id,
                        location=line.location,
                    )
                    for line in reservation.lines
                ],
                expires_at=reservation.expires_at,
                total_reserved=reservation.total,
                stock_levels=levels,
            )
        )
    )


def _publish_failed(reservation: Reservation, uow: UnitOfWork, publishers: InventoryPublishers) -> None:
    missing = reservation.shortage
    if missing is None:
        raise ReservationConflictError(f"reservation {reservation.reservation_id} did not fail")
    uow.publish(
        publishers.stock_reservation_failed.prepare(
            inventory.StockReservationFailed(
                reservation_id=reservation.reservation_id,
                order_id=reservation.order_id,
                reason=inventory.ReservationFailureReason(missing.reason.value),
                unavailable_items=[
                    inventory.UnavailableItem(
                        product_id=item.product_id, requested=item.requested, available=item.available
                    )
                    for item in missing.items
                ],
                failed_at=reservation.closed_at or reservation.requested_at,
            )
        )
    )


def _publish_expired(
    reservation: Reservation,
    released: Sequence[Line],
    levels: list[inventory.StockLevel],
    uow: UnitOfWork,
    publishers: InventoryPublishers,
) -> None:
    uow.publish(
        publishers.stock_reservation_expired.prepare(
            inventory.StockReservationExpired(
                reservation_id=reservation.reservation_id,
                order_id=reservation.order_id,
                released_items=_quantities(released),
                expired_at=reservation.closed_at or reservation.expires_at,
                stock_levels=levels,
            )
        )
    )


def _publish_released(
    reservation: Reservation,
    released: Sequence[Line],
    levels: list[inventory.StockLevel],
    reason: str,
    uow: UnitOfWork,
    publishers: InventoryPublishers,
) -> None:
    uow.publish(
        publishers.stock_reservation_released.prepare(
            inventory.StockReservationReleased(
                reservation_id=reservation.reservation_id,
                order_id=reservation.order_id,
                released_items=_quantities(released),
                reason=reason[:500],
                released_at=reservation.closed_at or reservation.requested_at,
                stock_levels=levels,
            )
        )
    )


async def release_reservation(
    request: inventory.StockReservationReleaseRequested,
    uow: UnitOfWork,
    stores: Stores,
    publishers: InventoryPublishers,
    *,
    now: datetime,
) -> None:
    """Free what the reservation holds (or give back what it committed); always answer `released`.

    An unknown reservation gets a tombstone: its request may still be on its way, and must hold nothing.
    """
    reservation = await stores.reservations.get(request.reservation_id)
    if reservation is None:
        tombstone = Reservation.tombstone(
            request.reservation_id, request.order_id, reason=request.reason, now=now
        )
        await stores.reservations.add(tombstone)
        _publish_released(tombstone, [], [], request.reason, uow, publishers)
        return
    if reservation.status in (ReservationStatus.HELD, ReservationStatus.COMMITTED):
        await _release(reservation, request.reason, uow, stores, publishers, now)
        return
    # Failed, expired or released before: nothing is left to free.
    levels = await _current_levels(stores, reservation)
    _publish_released(reservation, [], levels, request.reason, uow, publishers)


async def _release(
    reservation: Reservation,
    reason: str,
    uow: UnitOfWork,
    stores: Stores,
    publishers: InventoryPublishers,
    now: datetime,
) -> None:
    released = reservation.release(now, reason)
    if not await stores.reservations.transition(reservation, released):
        raise ReservationConflictError(f"reservation {reservation.reservation_id} changed meanwhile; retry")
    lines = [line.line for line in reservation.lines]
    if reservation.status is ReservationStatus.HELD:
        changed = await stores.stock.free(lines)
        given_back = lines
    else:  # committed: the units come back on hand, as far as the order has not given them back already
        committed = await stores.reservations.committed(reservation.order_id)
        changed, given_back = [], []
        for line in lines:
            back = min(line.quantity, committed.get(line.product_id, 0))
            if back <= 0:
                continue
            stock = await stores.stock.receive(Line(line.product_id, back))
            if stock is None:
                raise StockInvariantError(f"committed product {line.product_id} has no stock record")
            await stores.reservations.set_committed(
                reservation.order_id, line.product_id, committed[line.product_id] - back
            )
            changed.append(stock)
            given_back.append(Line(line.product_id, back))
    _publish_released(released, given_back, _levels(changed), reason, uow, publishers)
    await _changed(changed, uow, stores, publishers, now)


async def commit_reservation(
    request: inventory.StockReservationCommitRequested,
    uow: UnitOfWork,
    stores: Stores,
    publishers: InventoryPublishers,
    *,
    now: datetime,
) -> None:
    """Turn held units into a sale; a reservation that can no longer be committed (expired, released,
    unknown) is answered `expired`, so the saga compensates instead of confirming an order without stock."""
    reservation = await stores.reservations.get(request.reservation_id)
    if reservation is None:
        unknown = Reservation.expired_on_arrival(
            request.reservation_id, request.order_id, priority="normal", expires_at=now, now=now
        )
        _publish_expired(unknown, [], [], uow, publishers)
        return
    if reservation.is_due(now):  # the timer has not come round to it yet: its time is up all the same
        await _expire(reservation, uow, stores, publishers, now)
        return
    if reservation.status is ReservationStatus.HELD:
        committed = reservation.commit(now)
        if not await stores.reservations.transition(reservation, committed):
            raise ReservationConflictError(
                f"reservation {reservation.reservation_id} changed meanwhile; retry"
            )
        lines = [line.line for line in reservation.lines]
        changed = await stores.stock.take(lines)
        held_by_order = await stores.reservations.committed(reservation.order_id)
        for line in lines:
            await stores.reservations.set_committed(
                reservation.order_id, line.product_id, held_by_order.get(line.product_id, 0) + line.quantity
            )
        _publish_committed(committed, _levels(changed), uow, publishers)
        await _changed(changed, uow, stores, publishers, now)
        return
    levels = await _current_levels(stores, reservation)
    if reservation.status is ReservationStatus.COMMITTED:
        _publish_committed(reservation, levels, uow, publishers)
    else:
        _publish_expired(reservation, [], levels, uow, publishers)


def _publish_committed(
    reservation: Reservation,
    levels: list[inventory.StockLevel],
    uow: UnitOfWork,
    publishers: InventoryPublishers,
) -> None:
    uow.publish(
        publishers.stock_reservation_committed.prepare(
            inventory.StockReservationCommitted(
                reservation_id=reservation.reservation_id,
                order_id=reservation.order_id,
                committed_items=_quantities([line.line for line in reservation.lines]),
                committed_at=reservation.closed_at or reservation.requested_at,
                stock_levels=levels,
            )
        )
    )


async def _expire(
    reservation: Reservation, uow: UnitOfWork, stores: Stores, publishers: InventoryPublishers, now: datetime
) -> bool:
    """Free a due reservation and say so; False when something else closed it first."""
    expired = reservation.expire(now)
    if not await stores.reservations.transition(reservation, expired):
        return False
    lines = [line.line for line in reservation.lines]
    changed = await stores.stock.free(lines)
    _publish_expired(expired, lines, _levels(changed), uow, publishers)
    await _changed(changed, uow, stores, publishers, now)
    return True


async def expire_due_reservations(
    uow: UnitOfWork, stores: Stores, publishers: InventoryPublishers, *, now: datetime, limit: int = 200
) -> int:
    """The expiry timer's round: expire what is due (read from the database, so it survives restarts).
    Returns how many were due, so the timer goes on at once while a backlog remains."""
    due = await stores.reservations.due(now, limit)
    for reservation in due:
        flow = MessageContext(
            correlation_id=reservation.correlation_id or reservation.order_id,
            causation_id=reservation.causation_id,
        )
        with use_context(flow):
            await _expire(reservation, uow, stores, publishers, now)
    return len(due)


# -- orders ---------------------------------------------------------------------------------------------


async def cancel_order(
    changed: order.OrderStateChanged,
    uow: UnitOfWork,
    stores: Stores,
    publishers: InventoryPublishers,
    *,
    now: datetime,
) -> None:
    """Safety net: a cancelled order keeps nothing, whatever release requests got lost.

    Only cancellation matters here: stock is committed by an explicit request (decision 003), and the
    other states neither hold nor free stock. An order is cancelled only before it is confirmed, so the
    units of a committed reservation never left the workshop and come back on hand.
    """
    if changed.current_state is not order.OrderState.CANCELLED:
        return
    reason = f"order cancelled: {changed.reason}"
    for reservation in await stores.reservations.of_order(changed.order_id):
        if reservation.status in (ReservationStatus.HELD, ReservationStatus.COMMITTED):
            await _release(reservation, reason, uow, stores, publishers, now)


async def modify_order(
    modified: order.OrderItemsModified,
    uow: UnitOfWork,
    stores: Stores,
    publishers: InventoryPublishers,
    *,
    now: datetime,
) -> None:
    """Units an order no longer wants come back on hand (`inventory.stock.adjusted.v1`, order_modified).

    The order keeps a committed quantity per product; a line is brought down to its new quantity (0 when
    removed) and the difference is returned, so the same modification seen again returns nothing.
    Added lines need nothing here: an order only lowers or removes lines, and stock for anything new would
    be reserved through the saga like any order's.
    """
    committed = await stores.reservations.committed(modified.order_id)
    wanted = {item.product_id: 0 for item in modified.removed_items}
    wanted |= {item.product_id: item.quantity for item in modified.modified_items}
    for product_id, quantity in sorted(wanted.items()):
        back = committed.get(product_id, 0) - quantity
        if back <= 0:  # never committed, or already brought down this far
            continue
        stock = await stores.stock.receive(Line(product_id, back))
        if stock is None:
            log.warning("order %s: product %s has no stock record", modified.order_id, product_id)
            continue
        await stores.reservations.set_committed(modified.order_id, product_id, quantity)
        uow.publish(
            publishers.stock_adjusted.prepare(
                _adjusted(stock, back, inventory.StockAdjustmentReason.ORDER_MODIFIED, now)
            )
        )
        await _changed([stock], uow, stores, publishers, now)


# -- replenishment --------------------------------------------------------------------------------------


async def replenish(
    reached: inventory.StockThresholdReached,
    uow: UnitOfWork,
    stores: Stores,
    publishers: InventoryPublishers,
    *,
    message_id: UUID,
    now: datetime,
    restock_delay: timedelta,
) -> None:
    """The Inventory Replenishment Saga for one threshold event (see `domain.replenishment`).

    The purchase order id derives from the event's id, so the saga runs once per event however often the
    event comes; its state is stored with the messages it sends.
    """
    purchase_order_id = uuid5(_REPLENISHMENT, f"purchase-order:{message_id}")
    if await stores.replenishment.purchase_order(purchase_order_id) is not None:
        return
    stock = (await stores.stock.get([reached.product_id])).get(reached.product_id)
    threshold = stock.threshold if stock is not None else reached.threshold
    recommended = recommended_quantity(reached.average_daily_sales, threshold)
    workshop = await stores.replenishment.workshop(reached.artisan_id)
    decision = plan_purchase(
        recommended=recommended,
        capacity=workshop.monthly_capacity if workshop is not None else None,
        open_units=await stores.replenishment.open_units(reached.artisan_id),
        open_for_product=await stores.replenishment.has_open_order(reached.product_id),
        still_low=stock is not None and alert_for(stock.available, stock.threshold) is not None,
    )
    scheduled = decision.status is PurchaseStatus.SCHEDULED
    flow = current_context()
    purchase = PurchaseOrder(
        purchase_order_id=purchase_order_id,
        product_id=reached.product_id,
        artisan_id=reached.artisan_id,
        threshold_kind=reached.threshold_type.value,
        recommended=recommended,
        quantity=decision.quantity,
        status=decision.status,
        created_at=now,
        scheduled_for=now + restock_delay if scheduled else None,
        restock_id=uuid5(_REPLENISHMENT, f"restock:{message_id}") if scheduled else None,
        reason=decision.reason,
        closed_at=None if scheduled else now,
        correlation_id=flow.correlation_id if flow else None,
    )
    await stores.replenishment.add_purchase_order(purchase)
    if decision.status is PurchaseStatus.SKIPPED:
        log.info("replenishment of %s skipped: %s", reached.product_id, decision.reason)
        return
    if decision.status is PurchaseStatus.CANCELLED:
        uow.publish(
            publishers.purchase_order_cancelled.prepare(
                inventory.PurchaseOrderCancelled(
                    purchase_order_id=purchase_order_id,
                    product_id=reached.product_id,
                    artisan_id=reached.artisan_id,
                    reason=(decision.reason or "cancelled")[:500],
                    cancelled_at=now,
                )
            )
        )
        return
    assert purchase.scheduled_for is not None and purchase.restock_id is not None  # noqa: PT018 - set above when scheduled
    uow.publish(
        publishers.purchase_order_created.prepare(
            inventory.PurchaseOrderCreated(
                purchase_order_id=purchase_order_id,
                product_id=reached.product_id,
                artisan_id=reached.artisan_id,
                quantity=purchase.quantity,
                threshold_type=reached.threshold_type,
                expected_by=purchase.scheduled_for,
                created_at=now,
            )
        )
    )
    uow.publish(
        publishers.restock_scheduled.prepare(
            inventory.RestockScheduled(
                restock_id=purchase.restock_id,
                purchase_order_id=purchase_order_id,
                product_id=reached.product_id,
                artisan_id=reached.artisan_id,
                quantity=purchase.quantity,
                scheduled_for=purchase.scheduled_for,
                scheduled_at=now,
            )
        )
    )


async def receive_due_restocks(
    uow: UnitOfWork, stores: Stores, publishers: InventoryPublishers, *, now: datetime, limit: int = 100
) -> int:
    """The restock timer's round: add the units of due purchase orders to the stock and close them."""
    due = await stores.replenishment.due_restocks(now, limit)
    for purchase in due:
        received = purchase.receive(now)
        if not await stores.replenishment.close_purchase_order(purchase, received):
            continue
        with use_context(
            MessageContext(correlation_id=purchase.correlation_id or purchase.purchase_order_id)
        ):
            stock = await stores.stock.receive(Line(purchase.product_id, purchase.quantity), restocked_at=now)
            if stock is None:
                log.warning(
                    "restock %s: product %s has no stock record", purchase.restock_id, purchase.product_id
                )
                continue
            uow.publish(
                publishers.stock_adjusted.prepare(
                    _adjusted(stock, purchase.quantity, inventory.StockAdjustmentReason.RESTOCK, now)
                )
            )
            await _changed([stock], uow, stores, publishers, now)
    return len(due)


# -- the daily report -----------------------------------------------------------------------------------


async def report_stock(
    uow: UnitOfWork,
    stores: Stores,
    publishers: InventoryPublishers,
    *,
    now: datetime,
    chunk: int = REPORT_CHUNK,
) -> int:
    """Every product's level in `inventory.stock.reported.v1` chunks (decision 004: INVENTORY keeps events
    for 7 days, so a projection rebuilt from the stream needs a recent level of every product).
    Returns the number of levels reported."""
    levels: list[inventory.StockLevel] = []
    after: UUID | None = None
    while page := await stores.stock.page(after=after, limit=1000):
        levels += [_level(stock) for stock in page]
        after = page[-1].product_id
    if not levels:
        return 0
    report_id = uuid4()
    chunks = math.ceil(len(levels) / chunk)
    with use_context(MessageContext(correlation_id=report_id)):
        for index in range(chunks):
            uow.publish(
                publishers.stock_reported.prepare(
                    inventory.StockReported(
                        report_id=report_id,
                        levels=levels[index * chunk : (index + 1) * chunk],
                        chunk=index + 1,
                        chunks=chunks,
                        reported_at=now,
                    )
                )
            )
    return len(levels)


# -- the availability projection ------------------------------------------------------------------------


async def project_levels(
    levels: Sequence[inventory.StockLevel], updated_at: datetime, stores: Stores, cache: AvailabilityCache
) -> int:
    """Keep each level newer than the read model's, and put it in the cache (which also keeps only newer
    versions, so a reader filling the cache with an older row cannot hide this one). Returns how many were
    kept."""
    kept = await stores.availability.apply(
        [
            Availability(level.product_id, level.on_hand, level.reserved, level.version, updated_at)
            for level in levels
        ]
    )
    for availability in kept:
        await cache.put(availability)
    return len(kept)
