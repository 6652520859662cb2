"""The commit format: what is stored is read back the same, and what is not a commit is refused."""

import base64
from datetime import UTC, datetime

import orjson
import pytest

from services.platform.eventstore import FORMAT, Commit, DomainEvent, OutboxMessage

from .conftest import new_id, outgoing


def sample_commit() -> Commit:
    message = outgoing("order.created.v1", "ORDERS", orderId="o-1")
    return Commit(
        aggregate_id=new_id(),
        aggregate_type="order",
        events=(
            DomainEvent("OrderPlaced", {"customer": "c-1", "lines": [1, 2]}),
            DomainEvent("ItemAdded", {"sku": "olive-oil", "quantity": 2}, version=3),
        ),
        outbox=(OutboxMessage.from_outgoing(message),),
        causation_id=new_id(),
    )


def test_a_commit_round_trips_through_its_wire_format():
    commit = sample_commit()
    assert Commit.decode(commit.encode()) == commit


def test_the_wire_format_is_the_documented_camel_case_json_with_a_base64_body():
    commit = sample_commit()
    document = orjson.loads(commit.encode())
    assert set(document) == {
        "format",
        "commitId",
        "aggregateType",
        "aggregateId",
        "causationId",
        "committedAt",
        "events",
        "outbox",
    }
    assert document["format"] == FORMAT
    assert set(document["events"][0]) == {"eventId", "type", "version", "occurredAt", "data"}
    assert document["events"][1]["version"] == 3
    assert set(document["outbox"][0]) == {"messageId", "subject", "stream", "headers", "body"}
    assert base64.b64decode(document["outbox"][0]["body"]) == commit.outbox[0].body
    assert datetime.fromisoformat(document["committedAt"]).tzinfo is not None


def test_unknown_fields_are_ignored_by_readers():
    document = orjson.loads(sample_commit().encode())
    document["addedLater"] = {"x": 1}
    document["events"][0]["alsoNew"] = True
    assert Commit.decode(orjson.dumps(document)).aggregate_type == "order"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d.update(format=FORMAT + 1), "newer"),
        (lambda d: d.pop("commitId"), "missing 'commitId'"),
        (lambda d: d.update(events={}), "'events' must be an array"),
        (lambda d: d["events"][0].update(version="1"), "'version' must be an integer"),
        (lambda d: d["outbox"][0].update(body="not base64!"), "not base64"),
        (lambda d: d.update(committedAt="yesterday"), "RFC 3339"),
        (lambda d: d.update(causationId=7), "causationId"),
    ],
)
def test_what_is_not_a_commit_is_refused_with_the_reason(change, reason):
    document = orjson.loads(sample_commit().encode())
    change(document)
    with pytest.raises(ValueError, match=reason):
        Commit.decode(orjson.dumps(document))


def test_bytes_that_are_not_json_are_refused():
    with pytest.raises(ValueError, match="not JSON"):
        Commit.decode(b"\x00garbage")


def test_event_data_that_is_not_json_cannot_be_encoded():
    commit = Commit(new_id(), "order", events=(DomainEvent("Odd", {"value": {1, 2}}),))
    with pytest.raises(TypeError):
        commit.encode()


def test_times_keep_their_instant():
    at = datetime(2026, 11, 27, 10, 0, 0, 123456, tzinfo=UTC)
    commit = Commit(
        new_id(), "order", events=(DomainEvent("OrderPlaced", {}, occurred_at=at),), committed_at=at
    )
    decoded = Commit.decode(commit.encode())
    assert decoded.committed_at == at
    assert decoded.events[0].occurred_at == at
