"""The model helpers: NATS subject patterns, durations, traits and the AsyncAPI cross-references."""

from datetime import timedelta

import pytest

from codegen.loader import Location, load_contracts
from codegen.model import (
    address_pattern,
    apply_traits,
    covers,
    is_valid_pattern,
    matches,
    merge_patch,
    overlaps,
    parse_duration,
    read_asyncapi,
)

from .conftest import CONTRACTS


@pytest.mark.parametrize(
    ("outer", "inner", "expected"),
    [
        ("order.>", "order.created.v1", True),
        ("order.*", "order.created.v1", False),
        ("order.*.v1", "order.created.v1", True),
        ("order.created.v1", "order.>", False),
        ("dlq.>", "dlq.>", True),
        ("a.>", "a.*", True),
        ("a.*", "a.>", False),
        (">", "a", True),
        ("a", "a.b", False),
    ],
)
def test_covers(outer: str, inner: str, expected: bool) -> None:
    assert covers(outer, inner) is expected


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("user.>", "user.registered.>", True),
        ("user.registered.>", "user.behavior.>", False),
        ("a.*.c", "a.b.>", True),
        ("a", "a.>", False),
        ("a.*", "*.b", True),
        ("order.*", "order.>", True),
        ("es.order.>", "order.>", False),
    ],
)
def test_overlaps(first: str, second: str, expected: bool) -> None:
    assert overlaps(first, second) is expected
    assert overlaps(second, first) is expected


def test_matches_and_patterns() -> None:
    assert matches("payment.>", "payment.requested.v1")
    assert not matches("payment.*", "payment.requested.v1")
    assert is_valid_pattern("a.*.>")
    for bad in ("a..b", "a.>.b", "a.b*", "", "a b"):
        assert not is_valid_pattern(bad)


def test_address_pattern() -> None:
    assert address_pattern("order.created.v1") == "order.created.v1"
    assert address_pattern("dlq.{originalSubject}") == "dlq.>"
    assert address_pattern("order.{orderId}.created.v1") == "order.>"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5s", timedelta(seconds=5)),
        ("1000ms", timedelta(seconds=1)),
        ("2m", timedelta(minutes=2)),
        ("24h", timedelta(days=1)),
        ("30d", timedelta(days=30)),
        ("0s", timedelta(0)),
        ("5", None),
        ("5 s", None),
        ("1.5s", None),
        (5, None),
    ],
)
def test_parse_duration(text: object, expected: timedelta | None) -> None:
    assert parse_duration(text) == expected


def test_merge_patch_follows_rfc_7386() -> None:
    target = {"a": "b", "c": {"d": "e", "f": "g"}}
    patch = {"a": "z", "c": {"f": None}}
    assert merge_patch(target, patch) == {"a": "z", "c": {"d": "e"}}
    assert merge_patch({"a": [1]}, {"a": [2]}) == {"a": [2]}
    assert merge_patch({"a": "b"}, ["c"]) == ["c"]


def test_apply_traits_lets_the_message_win() -> None:
    traits = [{"contentType": "application/json", "summary": "trait"}, {"summary": "second trait", "x-a": 1}]
    message = {"summary": "own", "traits": ["..."], "x-a": None}
    assert apply_traits(message, traits) == {"contentType": "application/json", "summary": "own"}


def test_the_asyncapi_model_cross_references() -> None:
    model = read_asyncapi(load_contracts(CONTRACTS))
    order_created = Location("asyncapi.yaml", "/components/messages/OrderCreated")
    assert [op.service for op in model.operations_of(order_created, "send")] == ["order"]
    assert "inventory" in {op.service for op in model.operations_of(order_created, "receive")}
    channel = model.channels[Location("asyncapi.yaml", "/channels/deadLetter")]
    assert channel.pattern == "dlq.>"
    assert [stream.name for stream in model.streams_of(channel)] == ["DLQ"]
    assert model.consumers["user-profiles-projection"].filters == (
        "user.registered.>",
        "user.blocked.>",
        "user.payment.>",
    )
    assert model.messages[order_created].effective["contentType"] == "application/json"  # from the trait
