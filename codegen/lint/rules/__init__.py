"""The lint rules, by id, in the order they run and report.

A rule is a function of the `LintContext` returning the `LintError`s it finds; it never
raises for a problem in the contracts. Rules that check the same part of the contracts live
in one module (channels, operations, jetstream).
"""

from collections.abc import Callable

from codegen.lint.context import LintContext
from codegen.lint.lint_error import LintError
from codegen.lint.rules.asyncapi_schema import check_asyncapi_schema
from codegen.lint.rules.channels import check_channel_stream, check_unversioned_channel
from codegen.lint.rules.invalid_example import check_invalid_examples
from codegen.lint.rules.jetstream import check_consumer_config, check_stream_overlap
from codegen.lint.rules.messages import check_message_envelope
from codegen.lint.rules.named_schemas import check_named_schemas
from codegen.lint.rules.openapi_schema import check_openapi_schema
from codegen.lint.rules.operations import (
    check_message_sender,
    check_operation_service,
    check_receive_consumer,
)
from codegen.lint.rules.unresolved_ref import check_unresolved_refs

__all__ = ["RULES", "Rule"]

Rule = Callable[[LintContext], list[LintError]]

RULES: dict[str, Rule] = {
    "asyncapi-schema": check_asyncapi_schema,
    "openapi-schema": check_openapi_schema,
    "unresolved-ref": check_unresolved_refs,
    "invalid-example": check_invalid_examples,
    "unversioned-channel": check_unversioned_channel,
    "message-sender": check_message_sender,
    "operation-service": check_operation_service,
    "channel-stream": check_channel_stream,
    "receive-consumer": check_receive_consumer,
    "stream-overlap": check_stream_overlap,
    "consumer-config": check_consumer_config,
    "message-envelope": check_message_envelope,
    "named-schemas": check_named_schemas,
}
