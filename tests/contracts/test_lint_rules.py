"""Each lint rule against the real contracts (no error) and against one targeted breakage.

Every test breaks a copy of the contracts in one place and expects exactly the errors of the
rule under test, at the file and JSON pointer where a person would fix them.
"""

from pathlib import Path
from typing import Any

import pytest

from codegen.lint import RULES, LintError, lint
from codegen.loader import load_contracts

from .conftest import CONTRACTS, edit, found, lint_dir

ASYNCAPI = "asyncapi.yaml"
FIXTURE = "openapi/fixture.yaml"


def test_the_real_contracts_pass_every_rule() -> None:
    errors = lint(load_contracts(CONTRACTS))
    assert errors == [], "\n".join(str(error) for error in errors)


def test_the_copy_with_the_openapi_fixture_passes_every_rule(contracts_copy: Path) -> None:
    errors = lint_dir(contracts_copy)
    assert errors == [], "\n".join(str(error) for error in errors)


def test_every_rule_is_registered_once() -> None:
    assert list(RULES) == [
        "asyncapi-schema",
        "openapi-schema",
        "unresolved-ref",
        "invalid-example",
        "unversioned-channel",
        "message-sender",
        "operation-service",
        "channel-stream",
        "receive-consumer",
        "stream-overlap",
        "consumer-config",
        "message-envelope",
        "named-schemas",
    ]


def _only(errors: list[LintError], rule: str, file: str, pointer: str) -> LintError:
    assert found(errors) == [(rule, file, pointer)], "\n".join(str(error) for error in errors)
    return errors[0]


# -- asyncapi-schema ------------------------------------------------------------------------------------


def test_asyncapi_schema_catches_an_invalid_document(contracts_copy: Path) -> None:
    edit(contracts_copy, ASYNCAPI, lambda doc: doc["info"].update(version=1))
    error = _only(lint_dir(contracts_copy), "asyncapi-schema", ASYNCAPI, "/info/version")
    assert "is not of type 'string'" in error.message


def test_asyncapi_schema_checks_the_schema_files_a_message_uses(contracts_copy: Path) -> None:
    def describe_as_number(doc: Any) -> None:
        doc["OrderItem"]["properties"]["productName"]["description"] = 42

    edit(contracts_copy, "schemas/order.yaml", describe_as_number)
    _only(
        lint_dir(contracts_copy),
        "asyncapi-schema",
        "schemas/order.yaml",
        "/OrderItem/properties/productName/description",
    )


def test_asyncapi_schema_requires_patterns_that_compile(contracts_copy: Path) -> None:
    edit(
        contracts_copy,
        "schemas/common.yaml",
        lambda doc: doc["Money"]["properties"]["currency"].update(pattern="^[A-Z{3}$"),
    )
    error = _only(
        lint_dir(contracts_copy),
        "asyncapi-schema",
        "schemas/common.yaml",
        "/Money/properties/currency/pattern",
    )
    assert "regex" in error.message


def test_asyncapi_schema_requires_asyncapi_3_0_0(contracts_copy: Path) -> None:
    edit(contracts_copy, ASYNCAPI, lambda doc: doc.update(asyncapi="2.6.0"))
    errors = [error for error in lint_dir(contracts_copy) if error.rule_id == "asyncapi-schema"]
    assert found(errors) == [("asyncapi-schema", ASYNCAPI, "/asyncapi")]


# -- openapi-schema -------------------------------------------------------------------------------------


def test_openapi_schema_catches_an_invalid_document(contracts_copy: Path) -> None:
    def no_description(doc: Any) -> None:
        del doc["paths"]["/things/{thingId}"]["get"]["responses"]["200"]["description"]

    edit(contracts_copy, FIXTURE, no_description)
    error = _only(
        lint_dir(contracts_copy), "openapi-schema", FIXTURE, "/paths/~1things~1{thingId}/get/responses/200"
    )
    assert "description" in error.message
    assert "required" in error.message


def test_openapi_schema_locates_an_invalid_schema(contracts_copy: Path) -> None:
    edit(contracts_copy, FIXTURE, lambda doc: doc["components"]["schemas"]["Thing"].update(type="objet"))
    _only(lint_dir(contracts_copy), "openapi-schema", FIXTURE, "/components/schemas/Thing/type")


def test_openapi_schema_reports_duplicate_operation_ids(contracts_copy: Path) -> None:
    def second_path(doc: Any) -> None:
        doc["paths"]["/other"] = {
            "get": {"operationId": "getThing", "responses": {"204": {"description": "No."}}}
        }

    edit(contracts_copy, FIXTURE, second_path)
    error = _only(lint_dir(contracts_copy), "openapi-schema", FIXTURE, "")
    assert "getThing" in error.message


def test_openapi_schema_requires_openapi_3_1(contracts_copy: Path) -> None:
    edit(contracts_copy, FIXTURE, lambda doc: doc.update(openapi="3.0.3"))
    _only(lint_dir(contracts_copy), "openapi-schema", FIXTURE, "/openapi")


# -- unresolved-ref -------------------------------------------------------------------------------------


def test_unresolved_ref_names_the_file_and_pointer_of_the_ref(contracts_copy: Path) -> None:
    def misspell(doc: Any) -> None:
        doc["components"]["messages"]["CreateOrder"]["payload"]["$ref"] = "./schemas/order.yaml#/CreateOrdr"

    edit(contracts_copy, ASYNCAPI, misspell)
    error = _only(
        lint_dir(contracts_copy), "unresolved-ref", ASYNCAPI, "/components/messages/CreateOrder/payload/$ref"
    )
    assert "CreateOrdr" in error.message


def test_unresolved_ref_of_message_headers(contracts_copy: Path) -> None:
    def misspell(doc: Any) -> None:
        doc["components"]["messages"]["OrderCreated"]["headers"]["$ref"] = (
            "./schemas/envelope.yaml#/EventHeader"
        )

    edit(contracts_copy, ASYNCAPI, misspell)
    _only(
        lint_dir(contracts_copy), "unresolved-ref", ASYNCAPI, "/components/messages/OrderCreated/headers/$ref"
    )


def test_unresolved_ref_in_a_schema_file(contracts_copy: Path) -> None:
    edit(
        contracts_copy,
        "schemas/order.yaml",
        lambda doc: doc["OrderItem"]["properties"]["unitPrice"].update({"$ref": "./common.yaml#/Mony"}),
    )
    _only(
        lint_dir(contracts_copy),
        "unresolved-ref",
        "schemas/order.yaml",
        "/OrderItem/properties/unitPrice/$ref",
    )


def test_unresolved_ref_to_a_missing_file(contracts_copy: Path) -> None:
    edit(
        contracts_copy,
        FIXTURE,
        lambda doc: doc["components"]["schemas"]["Thing"]["properties"]["price"].update(
            {"$ref": "../schemas/money.yaml#/Money"}
        ),
    )
    errors = lint_dir(contracts_copy)
    assert ("unresolved-ref", FIXTURE, "/components/schemas/Thing/properties/price/$ref") in found(errors)
    assert {error.rule_id for error in errors} <= {"unresolved-ref", "openapi-schema"}


def test_unresolved_ref_reports_a_reference_cycle(contracts_copy: Path) -> None:
    def cycle(doc: Any) -> None:
        doc["components"]["schemas"] = {
            "Ping": {"$ref": "#/components/schemas/Pong"},
            "Pong": {"$ref": "#/components/schemas/Ping"},
        }

    edit(contracts_copy, ASYNCAPI, cycle)
    errors = lint_dir(contracts_copy)
    assert found(errors) == [
        ("unresolved-ref", ASYNCAPI, "/components/schemas/Ping/$ref"),
        ("unresolved-ref", ASYNCAPI, "/components/schemas/Pong/$ref"),
    ]
    assert all("reference cycle" in error.message for error in errors)


# -- invalid-example ------------------------------------------------------------------------------------


def test_invalid_example_in_a_message_payload(contracts_copy: Path) -> None:
    def zero_quantity(doc: Any) -> None:
        doc["components"]["messages"]["CreateOrder"]["examples"][0]["payload"]["items"][0]["quantity"] = 0

    edit(contracts_copy, ASYNCAPI, zero_quantity)
    error = _only(
        lint_dir(contracts_copy),
        "invalid-example",
        ASYNCAPI,
        "/components/messages/CreateOrder/examples/0/payload/items/0/quantity",
    )
    assert "less than the minimum of 1" in error.message


def test_invalid_example_in_message_headers_checks_formats(contracts_copy: Path) -> None:
    def bad_event_id(doc: Any) -> None:
        doc["components"]["messages"]["OrderCreated"]["examples"][0]["headers"]["event-id"] = "not-a-uuid"

    edit(contracts_copy, ASYNCAPI, bad_event_id)
    error = _only(
        lint_dir(contracts_copy),
        "invalid-example",
        ASYNCAPI,
        "/components/messages/OrderCreated/examples/0/headers/event-id",
    )
    assert "'uuid'" in error.message


def test_invalid_example_of_a_shared_schema(contracts_copy: Path) -> None:
    edit(
        contracts_copy,
        "schemas/common.yaml",
        lambda doc: doc["Money"]["properties"]["amount"].update(examples=["24.901"]),
    )
    _only(
        lint_dir(contracts_copy),
        "invalid-example",
        "schemas/common.yaml",
        "/Money/properties/amount/examples/0",
    )


def test_invalid_example_of_an_openapi_example_object(contracts_copy: Path) -> None:
    edit(
        contracts_copy,
        FIXTURE,
        lambda doc: doc["components"]["examples"]["Thing"]["value"]["price"].update(currency="euro"),
    )
    _only(
        lint_dir(contracts_copy),
        "invalid-example",
        FIXTURE,
        "/components/examples/Thing/value/price/currency",
    )


def test_invalid_example_of_an_openapi_parameter(contracts_copy: Path) -> None:
    edit(
        contracts_copy,
        FIXTURE,
        lambda doc: doc["paths"]["/things/{thingId}"]["get"]["parameters"][0].update(example="42"),
    )
    _only(
        lint_dir(contracts_copy),
        "invalid-example",
        FIXTURE,
        "/paths/~1things~1{thingId}/get/parameters/0/example",
    )


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("madeAt", "2026-11-20 10:15"),
        ("contact", "maria-at-example"),
        ("homepage", "not a uri"),
        ("workshopIp", "192.0.2"),
    ],
)
def test_invalid_example_asserts_formats(contracts_copy: Path, field: str, bad: str) -> None:
    edit(
        contracts_copy,
        FIXTURE,
        lambda doc: doc["components"]["schemas"]["Thing"]["properties"][field].update(examples=[bad]),
    )
    error = _only(
        lint_dir(contracts_copy),
        "invalid-example",
        FIXTURE,
        f"/components/schemas/Thing/properties/{field}/examples/0",
    )
    assert "is not a" in error.message


# -- unversioned-channel --------------------------------------------------------------------------------


def _readdress(doc: Any, channel: str, address: str) -> None:
    """Give a channel a new address, and its consumers' filters with it."""
    old = doc["channels"][channel]["address"]
    doc["channels"][channel]["address"] = address
    for consumer in doc["x-jetstream"]["consumers"].values():
        if consumer.get("filter_subject") == old:
            consumer["filter_subject"] = address


def test_unversioned_channel_without_its_version(contracts_copy: Path) -> None:
    edit(contracts_copy, ASYNCAPI, lambda doc: _readdress(doc, "orderCreated", "order.created"))
    error = _only(lint_dir(contracts_copy), "unversioned-channel", ASYNCAPI, "/channels/orderCreated/address")
    assert "'order.created'" in error.message


def test_unversioned_channel_with_an_undeclared_parameter(contracts_copy: Path) -> None:
    edit(contracts_copy, ASYNCAPI, lambda doc: doc["channels"]["deadLetter"].update(address="dlq.{subject}"))
    error = _only(lint_dir(contracts_copy), "unversioned-channel", ASYNCAPI, "/channels/deadLetter/address")
    assert "{subject}" in error.message


# -- message-sender -------------------------------------------------------------------------------------


def test_message_sender_with_a_second_sender(contracts_copy: Path) -> None:
    def second_sender(doc: Any) -> None:
        doc["operations"]["paymentSendsOrderCreated"] = {
            "action": "send",
            "channel": {"$ref": "#/channels/orderCreated"},
            "messages": [{"$ref": "#/channels/orderCreated/messages/OrderCreated"}],
            "x-a4co-service": "payment",
        }

    edit(contracts_copy, ASYNCAPI, second_sender)
    error = _only(lint_dir(contracts_copy), "message-sender", ASYNCAPI, "/components/messages/OrderCreated")
    assert "order (orderSendsOrderCreated)" in error.message
    assert "payment (paymentSendsOrderCreated)" in error.message


def test_message_sender_with_no_sender(contracts_copy: Path) -> None:
    edit(contracts_copy, ASYNCAPI, lambda doc: doc["operations"].pop("loyaltySendsLoyaltyPointsEarned"))
    error = _only(
        lint_dir(contracts_copy), "message-sender", ASYNCAPI, "/components/messages/LoyaltyPointsEarned"
    )
    assert "no send operation" in error.message


# -- operation-service ----------------------------------------------------------------------------------


def test_operation_service_missing(contracts_copy: Path) -> None:
    edit(
        contracts_copy,
        ASYNCAPI,
        lambda doc: doc["operations"]["gatewaySendsCreateOrder"].pop("x-a4co-service"),
    )
    _only(lint_dir(contracts_copy), "operation-service", ASYNCAPI, "/operations/gatewaySendsCreateOrder")


# -- channel-stream -------------------------------------------------------------------------------------


def test_channel_stream_public_channel_in_a_private_stream(contracts_copy: Path) -> None:
    edit(
        contracts_copy,
        ASYNCAPI,
        lambda doc: doc["x-jetstream"]["streams"]["LOYALTY"].update({"x-a4co-private": True}),
    )
    error = _only(
        lint_dir(contracts_copy), "channel-stream", ASYNCAPI, "/channels/loyaltyPointsEarned/address"
    )
    assert "LOYALTY" in error.message


def test_channel_stream_channel_in_no_stream(contracts_copy: Path) -> None:
    edit(
        contracts_copy,
        ASYNCAPI,
        lambda doc: doc["channels"].update(orphan={"address": "misc.orphaned.v1", "messages": {}}),
    )
    error = _only(lint_dir(contracts_copy), "channel-stream", ASYNCAPI, "/channels/orphan/address")
    assert "no stream" in error.message


def test_channel_stream_parameterised_channel_partly_in_a_stream(contracts_copy: Path) -> None:
    def partial(doc: Any) -> None:
        doc["x-jetstream"]["streams"]["DLQ"]["subjects"] = ["dlq.order.>"]

    edit(contracts_copy, ASYNCAPI, partial)
    errors = lint_dir(contracts_copy)
    assert ("channel-stream", ASYNCAPI, "/channels/deadLetter/address") in found(errors)
    assert "only part of it is in DLQ" in next(e.message for e in errors if e.rule_id == "channel-stream")


# -- receive-consumer -----------------------------------------------------------------------------------


def test_receive_consumer_that_does_not_exist(contracts_copy: Path) -> None:
    edit(
        contracts_copy, ASYNCAPI, lambda doc: doc["x-jetstream"]["consumers"].pop("loyalty-on-order-created")
    )
    _only(
        lint_dir(contracts_copy),
        "receive-consumer",
        ASYNCAPI,
        "/operations/loyaltyReceivesOrderCreated/x-a4co-consumer",
    )


def test_receive_consumer_missing_on_a_receive_operation(contracts_copy: Path) -> None:
    edit(
        contracts_copy,
        ASYNCAPI,
        lambda doc: doc["operations"]["loyaltyReceivesOrderCreated"].pop("x-a4co-consumer"),
    )
    _only(lint_dir(contracts_copy), "receive-consumer", ASYNCAPI, "/operations/loyaltyReceivesOrderCreated")


def test_receive_consumer_whose_filter_misses_the_channel(contracts_copy: Path) -> None:
    consumer = "user-on-loyalty-points-earned"
    edit(
        contracts_copy,
        ASYNCAPI,
        lambda doc: doc["x-jetstream"]["consumers"][consumer].update(
            filter_subject="loyalty.points.spent.v1"
        ),
    )
    error = _only(
        lint_dir(contracts_copy),
        "receive-consumer",
        ASYNCAPI,
        f"/x-jetstream/consumers/{consumer}/filter_subject",
    )
    assert "userReceivesLoyaltyPointsEarned" in error.message


def test_receive_consumer_on_the_wrong_stream(contracts_copy: Path) -> None:
    consumer = "user-on-loyalty-points-earned"

    def wrong_stream(doc: Any) -> None:
        config = doc["x-jetstream"]["consumers"][consumer]
        config["stream"] = "USERS"
        config["filter_subject"] = "user.>"

    edit(contracts_copy, ASYNCAPI, wrong_stream)
    _only(lint_dir(contracts_copy), "receive-consumer", ASYNCAPI, f"/x-jetstream/consumers/{consumer}/stream")


def test_receive_consumer_shared_by_two_services(contracts_copy: Path) -> None:
    def share(doc: Any) -> None:
        doc["operations"]["userReceivesLoyaltyPointsEarned"]["x-a4co-consumer"] = (
            "notification-on-loyalty-points-earned"
        )
        doc["x-jetstream"]["consumers"].pop("user-on-loyalty-points-earned")

    edit(contracts_copy, ASYNCAPI, share)
    error = _only(
        lint_dir(contracts_copy),
        "receive-consumer",
        ASYNCAPI,
        "/x-jetstream/consumers/notification-on-loyalty-points-earned",
    )
    assert "notification (notificationReceivesLoyaltyPointsEarned)" in error.message
    assert "user (userReceivesLoyaltyPointsEarned)" in error.message


# -- stream-overlap -------------------------------------------------------------------------------------


def test_stream_overlap_with_an_added_stream(contracts_copy: Path) -> None:
    edit(
        contracts_copy,
        ASYNCAPI,
        lambda doc: doc["x-jetstream"]["streams"].update(AUDIT={"subjects": ["order.*"], "storage": "file"}),
    )
    error = _only(
        lint_dir(contracts_copy), "stream-overlap", ASYNCAPI, "/x-jetstream/streams/AUDIT/subjects/0"
    )
    assert "'order.>' of stream ORDERS" in error.message


# -- consumer-config ------------------------------------------------------------------------------------


def _consumer(doc: Any, name: str) -> dict[str, Any]:
    consumer: dict[str, Any] = doc["x-jetstream"]["consumers"][name]
    return consumer


def test_consumer_config_max_deliver_below_backoff(contracts_copy: Path) -> None:
    edit(
        contracts_copy,
        ASYNCAPI,
        lambda doc: _consumer(doc, "notification-service-orders").update(max_deliver=3),
    )
    error = _only(
        lint_dir(contracts_copy),
        "consumer-config",
        ASYNCAPI,
        "/x-jetstream/consumers/notification-service-orders/max_deliver",
    )
    assert "5 backoff values" in error.message


def test_consumer_config_max_deliver_equal_to_backoff_is_accepted(contracts_copy: Path) -> None:
    # nats-server 2.15.1 accepts 5 deliveries with 5 backoff values (the design document's consumer).
    edit(
        contracts_copy,
        ASYNCAPI,
        lambda doc: _consumer(doc, "notification-service-orders").update(max_deliver=5),
    )
    assert lint_dir(contracts_copy) == []


def test_consumer_config_ack_wait_other_than_the_first_backoff(contracts_copy: Path) -> None:
    edit(
        contracts_copy,
        ASYNCAPI,
        lambda doc: _consumer(doc, "notification-service-orders").update(ack_wait="30s"),
    )
    error = _only(
        lint_dir(contracts_copy),
        "consumer-config",
        ASYNCAPI,
        "/x-jetstream/consumers/notification-service-orders/ack_wait",
    )
    assert "backoff[0] 1s" in error.message


def test_consumer_config_equal_durations_in_other_units_are_accepted(contracts_copy: Path) -> None:
    edit(
        contracts_copy,
        ASYNCAPI,
        lambda doc: _consumer(doc, "notification-service-orders").update(ack_wait="1000ms"),
    )
    assert lint_dir(contracts_copy) == []


def test_consumer_config_duration_that_does_not_parse(contracts_copy: Path) -> None:
    edit(
        contracts_copy,
        ASYNCAPI,
        lambda doc: doc["x-jetstream"]["streams"]["ORDERS"].update(max_age="30 days"),
    )
    _only(lint_dir(contracts_copy), "consumer-config", ASYNCAPI, "/x-jetstream/streams/ORDERS/max_age")


def test_consumer_config_durable_name_differs_from_key(contracts_copy: Path) -> None:
    edit(
        contracts_copy,
        ASYNCAPI,
        lambda doc: _consumer(doc, "dlq-processor").update(durable_name="dlq.processor"),
    )
    _only(
        lint_dir(contracts_copy),
        "consumer-config",
        ASYNCAPI,
        "/x-jetstream/consumers/dlq-processor/durable_name",
    )


def test_consumer_config_name_with_a_dot(contracts_copy: Path) -> None:
    def rename(doc: Any) -> None:
        consumers = doc["x-jetstream"]["consumers"]
        consumers["dlq.processor"] = {**consumers.pop("dlq-processor"), "durable_name": "dlq.processor"}
        doc["operations"]["dlqReceivesDeadLetter"]["x-a4co-consumer"] = "dlq.processor"

    edit(contracts_copy, ASYNCAPI, rename)
    _only(lint_dir(contracts_copy), "consumer-config", ASYNCAPI, "/x-jetstream/consumers/dlq.processor")


# -- message-envelope -----------------------------------------------------------------------------------


def test_message_envelope_without_headers(contracts_copy: Path) -> None:
    def no_headers(doc: Any) -> None:
        message = doc["components"]["messages"]["CancelOrder"]
        del message["headers"]
        for example in message["examples"]:
            del example["headers"]

    edit(contracts_copy, ASYNCAPI, no_headers)
    error = _only(lint_dir(contracts_copy), "message-envelope", ASYNCAPI, "/components/messages/CancelOrder")
    assert "headers" in error.message


def test_message_envelope_without_correlation_id(contracts_copy: Path) -> None:
    edit(
        contracts_copy,
        ASYNCAPI,
        lambda doc: doc["components"]["messages"]["CancelOrder"].pop("correlationId"),
    )
    error = _only(lint_dir(contracts_copy), "message-envelope", ASYNCAPI, "/components/messages/CancelOrder")
    assert "correlationId" in error.message


def _headers_in_trait(doc: Any) -> dict[str, Any]:
    trait = doc["components"]["messageTraits"]["DomainMessage"]
    trait["headers"] = {"$ref": "./schemas/envelope.yaml#/EventHeaders"}
    trait["correlationId"] = {"$ref": "#/components/correlationIds/Correlation"}
    message: dict[str, Any] = doc["components"]["messages"]["CancelOrder"]
    del message["headers"]
    del message["correlationId"]
    return message


def test_message_envelope_from_a_trait(contracts_copy: Path) -> None:
    edit(contracts_copy, ASYNCAPI, _headers_in_trait)
    assert lint_dir(contracts_copy) == []


def test_message_envelope_removed_by_the_message_over_its_trait(contracts_copy: Path) -> None:
    edit(contracts_copy, ASYNCAPI, lambda doc: _headers_in_trait(doc).update(correlationId=None))
    errors = lint_dir(contracts_copy)
    assert ("message-envelope", ASYNCAPI, "/components/messages/CancelOrder") in found(errors)
    assert {error.rule_id for error in errors} == {
        "message-envelope",
        "asyncapi-schema",
    }  # null is not a correlationId


# -- named-schemas --------------------------------------------------------------------------------------


def test_named_schemas_inline_object_in_a_schema_file(contracts_copy: Path) -> None:
    def inline(doc: Any) -> None:
        doc["OrderMetadata"]["properties"]["deviceInfo"] = {
            "type": "object",
            "properties": {
                "type": {"type": "string"},
                "os": {"type": "string"},
                "browser": {"type": "string"},
            },
        }

    edit(contracts_copy, "schemas/order.yaml", inline)
    _only(
        lint_dir(contracts_copy),
        "named-schemas",
        "schemas/order.yaml",
        "/OrderMetadata/properties/deviceInfo",
    )


def test_named_schemas_allows_maps(contracts_copy: Path) -> None:
    def a_map(doc: Any) -> None:
        doc["OrderMetadata"]["properties"]["labels"] = {
            "type": "object",
            "additionalProperties": {"type": "string"},
        }

    edit(contracts_copy, "schemas/order.yaml", a_map)
    assert lint_dir(contracts_copy) == []


def test_named_schemas_inline_object_in_an_openapi_document(contracts_copy: Path) -> None:
    def inline(doc: Any) -> None:
        doc["components"]["schemas"]["Thing"]["properties"]["owner"] = {
            "type": "object",
            "properties": {"name": {"type": "string"}},
        }

    edit(contracts_copy, FIXTURE, inline)
    _only(lint_dir(contracts_copy), "named-schemas", FIXTURE, "/components/schemas/Thing/properties/owner")


def test_named_schemas_inline_message_payload(contracts_copy: Path) -> None:
    def inline(doc: Any) -> None:
        message = doc["components"]["messages"]["CancelOrder"]
        message["payload"] = {"type": "object", "properties": {"orderId": {"type": "string"}}}

    edit(contracts_copy, ASYNCAPI, inline)
    _only(lint_dir(contracts_copy), "named-schemas", ASYNCAPI, "/components/messages/CancelOrder/payload")
