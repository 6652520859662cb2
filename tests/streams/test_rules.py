"""Pure rules of provisioning: subject overlap, cluster size from the server INFO (no server needed)."""

import pytest

from a4co_sdk._runtime import provisioning
from a4co_sdk._runtime.provisioning import subjects_overlap


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ("order.>", "order.created.v1", True),
        ("order.>", "order", False),  # `>` needs at least one more token
        ("order.*", "order.created.v1", False),
        ("order.*.v1", "order.created.*", True),
        ("order.created.v1", "order.created.v1", True),
        ("order.created.v1", "order.created.v2", False),
        ("user.behavior.>", "user.registered.>", False),
        ("user.>", "user.behavior.tracked.v1", True),
        ("*.>", "es.order.abc", True),
        ("a.b", "a.b.c", False),
    ],
)
def test_subjects_overlap_when_some_subject_matches_both(a, b, overlap):
    assert subjects_overlap(a, b) is overlap
    assert subjects_overlap(b, a) is overlap


def test_a_server_without_cluster_holds_one_replica():
    size = provisioning._cluster({"server_name": "n1", "jetstream": True}, None)
    assert (size.replicas, size.clustered) == (1, False)


def test_a_cluster_counts_the_servers_it_advertises():
    info = {
        "cluster": "c",
        "connect_urls": ["10.0.0.1:4222", "10.0.0.2:4222", "10.0.0.3:4222", "10.0.0.1:4222"],
    }
    size = provisioning._cluster(info, None)
    assert (size.replicas, size.clustered, size.name) == (3, True, "c")


def test_a_cluster_that_advertises_nothing_has_an_unknown_size_and_nothing_is_clamped():
    size = provisioning._cluster({"cluster": "c"}, None)
    assert size.replicas is None
    assert provisioning._clamp(3, size) == 3


def test_the_caller_can_say_how_big_the_cluster_is():
    assert provisioning._cluster({}, 5).replicas == 5
    with pytest.raises(ValueError, match="at least 1"):
        provisioning._cluster({}, 0)


def test_durations_are_compared_to_the_nanosecond_the_server_keeps():
    assert provisioning._same("ack_wait", 0.1 + 0.2, 0.3)
    assert provisioning._same("backoff", (0.1 + 0.2, 1.0), (0.3, 1))
    assert not provisioning._same("max_age", 1.0, 1.000001)
    assert not provisioning._same("max_msgs", 0.1 + 0.2, 0.3)  # not a duration: compared as is
