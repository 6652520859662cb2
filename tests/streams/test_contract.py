"""Provisioning the real contract on a single nats-server: creation, settings, idempotency, drift."""

from dataclasses import replace

import pytest
from nats.js import api

from a4co_sdk._runtime.jetstream_config import consumer_config
from a4co_sdk._runtime.provisioning import Difference, apply
from a4co_sdk.streams import CONSUMERS, STREAMS

from .helpers import by_name, contract_plan, outcomes, provision

pytestmark = pytest.mark.integration


async def test_plan_on_an_empty_server_creates_everything_with_replicas_clamped(js):
    plan = await contract_plan(js)
    assert {c.action for c in plan.streams} == {"create"}
    assert {c.action for c in plan.consumers} == {"create"}
    assert (len(plan.streams), len(plan.consumers)) == (len(STREAMS), len(CONSUMERS))
    assert not plan.in_sync
    assert plan.cluster.replicas == 1
    assert not plan.cluster.clustered
    streams = by_name(plan.streams)
    assert streams["ORDERS"].replicas == 1
    assert streams["ORDERS"].spec.num_replicas == 3
    assert any("clamped from 3 to 1" in w and "ORDERS" in w for w in plan.warnings)
    assert not any("NOTIFICATIONS" in w for w in plan.warnings)  # it asks for 1


async def test_apply_creates_every_stream_and_consumer_as_the_contract_says(js):
    results = await provision(js)
    assert {r.outcome for r in results} == {"created"}
    assert len(results) == len(STREAMS) + len(CONSUMERS)

    orders = (await js.stream_info("ORDERS")).config
    assert orders.subjects == ["order.>"]
    assert orders.max_age == 30 * 86400
    assert orders.duplicate_window == 120
    assert orders.max_msgs == 1_000_000
    assert orders.max_msg_size == 1_048_576
    assert orders.num_replicas == 1  # the contract's 3, clamped on a single server

    notifications = (await js.stream_info("NOTIFICATIONS")).config
    assert notifications.retention == "interest"
    assert notifications.storage == "memory"
    assert notifications.max_age == 86400

    inventory = (await js.consumer_info("INVENTORY", "order-service-inventory")).config
    assert inventory.filter_subject == "inventory.reservation.>"
    assert inventory.max_deliver == 3
    assert inventory.ack_wait == 30
    assert inventory.max_ack_pending == 100
    assert inventory.ack_policy == "explicit"

    notifier = (await js.consumer_info("ORDERS", "notification-service-orders")).config
    assert notifier.deliver_policy == "new"
    assert notifier.backoff == [1, 2, 4, 8, 16]
    assert notifier.ack_wait == 1  # backoff[0], as the server makes it
    assert notifier.max_deliver == 5
    assert not notifier.filter_subject
    assert not notifier.filter_subjects

    assert (await contract_plan(js)).in_sync


async def test_applying_twice_changes_nothing_the_second_time(js):
    await provision(js)
    streams_before = {s.config.name: s.config for s in await js.streams_info()}
    consumers_before = {c.name: (c.created, c.config) for c in await js.consumers_info("ORDERS")}

    plan = await contract_plan(js)
    assert plan.in_sync
    assert {c.action for c in (*plan.streams, *plan.consumers)} == {"unchanged"}
    assert {r.outcome for r in await apply(js, plan)} == {"unchanged"}

    assert {s.config.name: s.config for s in await js.streams_info()} == streams_before
    assert {c.name: (c.created, c.config) for c in await js.consumers_info("ORDERS")} == consumers_before


async def test_a_stream_edited_behind_our_back_is_an_update_with_the_exact_difference(js):
    await provision(js)
    current = (await js.stream_info("ORDERS")).config
    # max_msgs is the contract's; allow_direct is not, so provisioning must leave it as the operator set it.
    await js.update_stream(replace(current, max_msgs=5, allow_direct=True))

    plan = await contract_plan(js)
    orders = by_name(plan.streams)["ORDERS"]
    assert orders.action == "update"
    assert orders.differences == (Difference("max_msgs", 5, 1_000_000),)
    assert plan.count("update") == 1
    assert plan.count("unchanged") == len(STREAMS) + len(CONSUMERS) - 1

    results = outcomes(await apply(js, plan))
    assert results["stream:ORDERS"] == "updated"
    fixed = (await js.stream_info("ORDERS")).config
    assert fixed.max_msgs == 1_000_000
    assert fixed.allow_direct is True
    assert (await contract_plan(js)).in_sync


async def test_an_edited_consumer_is_updated_in_place_keeping_its_position(js):
    await provision(js)
    await js.publish("inventory.reservation.requested.v1", b"{}")
    sub = await js.pull_subscribe(
        "inventory.reservation.>", durable="order-service-inventory", stream="INVENTORY"
    )
    [msg] = await sub.fetch(1, timeout=2)
    await msg.ack_sync()
    current = (await js.consumer_info("INVENTORY", "order-service-inventory")).config
    await js.add_consumer("INVENTORY", replace(current, max_deliver=9, max_ack_pending=7))

    plan = await contract_plan(js)
    change = by_name(plan.consumers)["order-service-inventory"]
    assert change.action == "update"
    assert set(change.differences) == {Difference("max_deliver", 9, 3), Difference("max_ack_pending", 7, 100)}

    await apply(js, plan)
    info = await js.consumer_info("INVENTORY", "order-service-inventory")
    assert (info.config.max_deliver, info.config.max_ack_pending) == (3, 100)
    assert info.ack_floor.stream_seq == 1  # the same durable: its position survived
    await sub.unsubscribe()


async def test_a_non_editable_consumer_change_is_a_conflict_and_is_not_applied(js):
    await provision(js)
    await js.delete_consumer("ORDERS", "notification-service-orders")
    current = replace(CONSUMERS["notification-service-orders"], deliver_policy="all")
    await js.add_consumer("ORDERS", consumer_config(current))

    plan = await contract_plan(js)
    change = by_name(plan.consumers)["notification-service-orders"]
    assert change.action == "conflict"
    assert change.differences == (Difference("deliver_policy", "all", "new"),)
    [conflict] = change.conflicts
    assert conflict.field == "deliver_policy"
    assert "can not be changed in place" in conflict.reason
    assert "allow_conflicts" in conflict.remedy

    results = outcomes(await apply(js, plan))
    assert results["consumer:notification-service-orders"] == "skipped"
    assert (await js.consumer_info("ORDERS", "notification-service-orders")).config.deliver_policy == "all"

    results = outcomes(await apply(js, plan, allow_conflicts=True))
    assert results["consumer:notification-service-orders"] == "recreated"
    assert (await js.consumer_info("ORDERS", "notification-service-orders")).config.deliver_policy == "new"
    assert (await contract_plan(js)).in_sync


async def test_a_stream_whose_storage_differs_is_never_recreated(js):
    await provision(js)
    notifications = (await js.stream_info("NOTIFICATIONS")).config
    await js.delete_stream("NOTIFICATIONS")
    await js.add_stream(replace(notifications, storage=api.StorageType.FILE))

    plan = await contract_plan(js)
    change = by_name(plan.streams)["NOTIFICATIONS"]
    assert change.action == "conflict"
    assert Difference("storage", "file", "memory") in change.differences
    assert "storage type can not be changed" in change.conflicts[0].reason
    assert "nats stream rm NOTIFICATIONS" in change.conflicts[0].remedy

    results = await apply(js, plan, allow_conflicts=True)
    [stream] = [r for r in results if r.name == "NOTIFICATIONS"]
    assert stream.outcome == "skipped"
    assert "never recreated" in stream.detail
    assert (await js.stream_info("NOTIFICATIONS")).config.storage == "file"
    # Its consumers did not exist on the recreated stream; they are created on it regardless.
    assert by_name(plan.consumers)["analytics-on-notification-scheduled"].action == "create"


async def test_an_unmanaged_stream_is_reported_and_left_alone(js):
    await js.add_stream(name="LEGACY_AUDIT", subjects=["audit.>"], max_msgs=10)
    await provision(js)
    await js.add_consumer("ORDERS", durable_name="someone-elses", ack_policy=api.AckPolicy.EXPLICIT)

    plan = await contract_plan(js)
    assert plan.in_sync  # unmanaged items are not differences: apply could not (and must not) fix them
    unmanaged = {(u.stream, u.consumer) for u in plan.unmanaged}
    assert ("LEGACY_AUDIT", None) in unmanaged
    assert ("ORDERS", "someone-elses") in unmanaged
    await apply(js, plan)
    assert (await js.stream_info("LEGACY_AUDIT")).config.max_msgs == 10
    assert (await js.consumer_info("ORDERS", "someone-elses")).name == "someone-elses"


async def test_a_stream_overlapping_an_unmanaged_one_is_a_conflict_naming_it(js):
    await js.add_stream(name="OLD_ORDERS", subjects=["order.created.v1"])
    plan = await contract_plan(js)
    orders = by_name(plan.streams)["ORDERS"]
    assert orders.action == "conflict"
    [conflict] = orders.conflicts
    assert "OLD_ORDERS" in conflict.reason
    assert "order.> / order.created.v1" in conflict.reason
    assert "nats stream edit OLD_ORDERS" in conflict.remedy
    assert by_name(plan.consumers)["analytics-on-order-created"].action == "conflict"

    results = outcomes(await apply(js, plan))
    assert results["stream:ORDERS"] == "skipped"
    assert results["consumer:analytics-on-order-created"] == "skipped"
    assert results["stream:PAYMENTS"] == "created"
    assert (await js.stream_info("OLD_ORDERS")).config.subjects == ["order.created.v1"]


async def test_binding_to_a_provisioned_consumer_leaves_it_unchanged(js):
    """nats-py's pull_subscribe on an existing durable only looks it up (FastStream binds the same way)."""
    await provision(js)
    before = await js.consumer_info("ORDERS", "notification-service-orders")
    sub = await js.pull_subscribe("order.>", durable="notification-service-orders", stream="ORDERS")
    await js.publish("order.created.v1", b"{}")
    [msg] = await sub.fetch(1, timeout=2)
    await msg.ack_sync()
    after = await js.consumer_info("ORDERS", "notification-service-orders")
    assert (after.created, after.config) == (before.created, before.config)
    assert (await contract_plan(js)).in_sync
    await sub.unsubscribe()
