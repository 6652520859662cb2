"""Provisioning rules with small hand-made specs (nothing from the contract): retention, deny_delete,
replica fallback, server errors."""

import pytest
from nats.js import api

from a4co_sdk import ProvisioningError
from a4co_sdk._runtime.provisioning import Difference, apply, plan
from a4co_sdk._runtime.specs import ConsumerSpec, StreamSpec

pytestmark = pytest.mark.integration


def stream(name="PROV_T", **fields) -> StreamSpec:
    return StreamSpec(name=name, subjects=(f"{name.lower()}.>",), **fields)


async def test_retention_limits_to_interest_is_an_update_on_an_empty_stream(js):
    await js.add_stream(name="PROV_T", subjects=["prov_t.>"])
    result = await plan(js, [stream(retention="interest")], [])
    [change] = result.streams
    assert change.action == "update"
    assert change.differences == (Difference("retention", "limits", "interest"),)
    await apply(js, result)
    assert (await js.stream_info("PROV_T")).config.retention == "interest"


async def test_retention_change_on_a_stream_with_messages_is_a_conflict(js):
    """The server would accept limits -> interest and drop at once every message nobody is interested in."""
    await js.add_stream(name="PROV_T", subjects=["prov_t.>"])
    await js.publish("prov_t.a", b"kept")
    result = await plan(js, [stream(retention="interest")], [])
    [change] = result.streams
    assert change.action == "conflict"
    assert change.messages == 1
    [conflict] = change.conflicts
    assert "holds 1 messages" in conflict.reason
    assert "dropped" in conflict.reason
    assert "nats stream purge PROV_T" in conflict.remedy
    [outcome] = await apply(js, result, allow_conflicts=True)
    assert outcome.outcome == "skipped"
    info = await js.stream_info("PROV_T")
    assert (info.config.retention, info.state.messages) == ("limits", 1)


async def test_workqueue_retention_can_never_be_changed_in_place(js):
    await js.add_stream(name="PROV_T", subjects=["prov_t.>"], retention=api.RetentionPolicy.WORK_QUEUE)
    [change] = (await plan(js, [stream()], [])).streams
    assert change.action == "conflict"
    assert "workqueue" in change.conflicts[0].reason


async def test_deny_delete_can_not_be_turned_off(js):
    await js.add_stream(name="PROV_T", subjects=["prov_t.>"], deny_delete=True)
    [change] = (await plan(js, [stream()], [])).streams
    assert change.action == "conflict"
    assert change.conflicts[0].field == "deny_delete"


async def test_fields_the_spec_leaves_unset_are_not_compared(js):
    """duplicate_window and description None, a consumer's ack_wait None: the server's values stand."""
    await js.add_stream(name="PROV_T", subjects=["prov_t.>"], duplicate_window=30, description="ops")
    await js.add_consumer("PROV_T", durable_name="c", ack_wait=45, max_ack_pending=3)
    consumer = ConsumerSpec(name="c", stream="PROV_T")
    result = await plan(js, [stream()], [consumer])
    assert result.in_sync, result


async def test_consumer_filters_are_compared_as_a_set_and_updated(js):
    spec = stream()
    consumer = ConsumerSpec(name="c", stream="PROV_T", filter_subjects=("prov_t.a", "prov_t.b"))
    await apply(js, await plan(js, [spec], [consumer]))
    assert (await js.consumer_info("PROV_T", "c")).config.filter_subjects == ["prov_t.a", "prov_t.b"]
    reordered = ConsumerSpec(name="c", stream="PROV_T", filter_subjects=("prov_t.b", "prov_t.a"))
    assert (await plan(js, [spec], [reordered])).in_sync

    narrower = ConsumerSpec(name="c", stream="PROV_T", filter_subjects=("prov_t.a",))
    result = await plan(js, [spec], [narrower])
    [change] = result.consumers
    assert change.differences == (Difference("filter_subjects", ("prov_t.a", "prov_t.b"), ("prov_t.a",)),)
    await apply(js, result)
    config = (await js.consumer_info("PROV_T", "c")).config
    assert (config.filter_subject, config.filter_subjects) == ("prov_t.a", None)


async def test_a_consumer_of_a_stream_nobody_provides_is_a_conflict(js):
    consumer = ConsumerSpec(name="c", stream="PROV_NOWHERE")
    [change] = (await plan(js, [], [consumer])).consumers
    assert change.action == "conflict"
    assert "not on the server" in change.conflicts[0].reason


async def test_replicas_are_lowered_when_the_server_has_too_few_peers(js):
    """A cluster size given too high (here 3 for a single server) is corrected by the server's answer."""
    result = await plan(js, [stream(num_replicas=3)], [], cluster_size=3)
    [change] = result.streams
    assert change.replicas == 3
    [outcome] = await apply(js, result)
    assert outcome.outcome == "created"
    assert "replicas lowered from 3 to 1" in outcome.detail
    assert (await js.stream_info("PROV_T")).config.num_replicas == 1


async def test_a_server_error_is_a_provisioning_error_saying_what_and_why(js):
    bad = stream(max_age=60.0, duplicate_window=120.0)  # the server wants duplicate_window <= max_age
    good = stream("PROV_OK")
    with pytest.raises(ProvisioningError) as caught:
        await apply(js, await plan(js, [good, bad], []))
    message = str(caught.value)
    assert "stream PROV_T" in message
    assert "duplicates window can not be larger then max age" in message
    assert "1 change(s) were applied before" in message
    assert (await js.stream_info("PROV_OK")).config.name == "PROV_OK"


async def test_ack_wait_is_backoff_0_when_there_is_a_backoff_so_a_spec_saying_otherwise_stays_in_sync(js):
    """The server replaces ack_wait by backoff[0]; comparing the spec's own ack_wait would never settle."""
    consumer = ConsumerSpec(name="c", stream="PROV_T", ack_wait=30.0, backoff=(1.0, 2.0), max_deliver=3)
    await apply(js, await plan(js, [stream()], [consumer]))
    assert (await js.consumer_info("PROV_T", "c")).config.ack_wait == 1
    assert (await plan(js, [stream()], [consumer])).in_sync


async def test_a_consumer_update_keeps_the_servers_other_settings(js):
    """max_waiting is not the spec's and cannot be changed in place: the update must send it back as it is."""
    await js.add_stream(name="PROV_T", subjects=["prov_t.>"])
    await js.add_consumer("PROV_T", durable_name="c", max_waiting=10, max_deliver=2, metadata={"team": "ops"})
    consumer = ConsumerSpec(name="c", stream="PROV_T", max_deliver=4)
    result = await plan(js, [stream()], [consumer])
    [change] = result.consumers
    assert change.differences == (Difference("max_deliver", 2, 4),)
    await apply(js, result)
    config = (await js.consumer_info("PROV_T", "c")).config
    assert (config.max_deliver, config.max_waiting, config.metadata["team"]) == (4, 10, "ops")
