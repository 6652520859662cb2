"""The SDK runtime's fast paths give what the slow ones gave: headers, delivery numbers, message ids."""

import time
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import NotJSMessageError

from a4co_sdk._runtime.consuming import _parse_header_lines, _parse_headers_faster, delivery_of
from a4co_sdk._runtime.envelope import new_message_id

ACK_V1 = "$JS.ACK.ORDERS.notification-service-orders.3.1042.977.1764290000000000000.12"
ACK_V2 = "$JS.ACK.hub.ACCHASH.ORDERS.notification-service-orders.3.1042.977.1764290000000000000.12.x9kq"
ACK_V2_WITHOUT_TOKEN = ACK_V2.rsplit(".", 1)[0]


def message(reply: str) -> Msg:
    return Msg(cast("Any", None), subject="order.created.v1", reply=reply, data=b"{}", headers={"a": "b"})


@pytest.mark.parametrize("reply", [ACK_V1, ACK_V2, ACK_V2_WITHOUT_TOKEN])
def test_delivery_numbers_are_those_of_nats_py_metadata(reply: str) -> None:
    delivery = delivery_of(message(reply))
    metadata = message(reply).metadata
    assert (delivery.attempt, delivery.stream_sequence) == (3, 1042)
    assert (delivery.attempt, delivery.stream_sequence) == (metadata.num_delivered, metadata.sequence.stream)
    assert (delivery.subject, delivery.body, dict(delivery.headers)) == (
        "order.created.v1",
        b"{}",
        {"a": "b"},
    )


@pytest.mark.parametrize("reply", ["", "_INBOX.abc.def", "$JS.ACK.too.short"])
def test_a_message_jetstream_did_not_deliver_is_refused_as_nats_py_refuses_it(reply: str) -> None:
    with pytest.raises(NotJSMessageError):
        delivery_of(message(reply))


def test_message_ids_are_uuid_version_7_with_the_current_time() -> None:
    before = time.time_ns() // 1_000_000
    message_id = new_message_id()
    after = time.time_ns() // 1_000_000
    assert (message_id.version, message_id.variant) == (7, "specified in RFC 4122")
    assert before <= message_id.int >> 80 <= after


def test_message_ids_grow_with_time_and_do_not_repeat() -> None:
    earlier = new_message_id()
    time.sleep(0.002)
    assert new_message_id() > earlier
    assert len({new_message_id() for _ in range(10_000)}) == 10_000


# Pieces of header blocks, odd ones included: every ASCII whitespace (\x1c-\x1f count for str.isspace),
# bare CR and LF, empty names and values, bytes that are not ASCII, or not UTF-8.
HEADER_PIECES = [
    b"event-id",
    b"Nats-Msg-Id",
    b"a",
    b"value with spaces",
    b":",
    b": ",
    b"\r\n",
    b"\r",
    b"\n",
    *(bytes([c]) for c in range(128) if chr(c).isspace()),
    b"\xc3\xa9",
    b"\xe2\x82",
    b"\xff",
    b"\x85",
]


@given(st.lists(st.sampled_from(HEADER_PIECES), max_size=60).map(b"".join))
def test_header_blocks_parse_as_nats_py_parses_them(raw: bytes) -> None:
    assert _parse_header_lines(raw) == Client._parse_header_lines(raw)


def test_an_envelope_parses_as_nats_py_parses_it() -> None:
    raw = b"event-id: 0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b\r\nevent-name: order.created.v1\r\n"
    raw += b"producer: order\r\ntraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n\r\n"
    assert _parse_header_lines(raw) == Client._parse_header_lines(raw)
    assert _parse_header_lines(raw)["producer"] == "order"


def test_the_faster_parser_goes_on_the_consumers_connection_only_where_nats_py_parses_itself() -> None:
    plain = Client()
    _parse_headers_faster(plain.jetstream())
    assert plain._parse_header_lines is _parse_header_lines
    assert Client()._parse_header_lines is not _parse_header_lines  # other connections keep nats-py's

    class OwnParser(Client):
        @staticmethod
        def _parse_header_lines(raw: bytes) -> dict[str, str]:
            return {}

    custom = OwnParser()
    _parse_headers_faster(custom.jetstream())
    assert custom._parse_header_lines is OwnParser._parse_header_lines
