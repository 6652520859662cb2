"""The catalogue of changes the detector knows, each with the directions it breaks.

The directions are those of the SDK's generated models, checked by
`tests/codegen/diff/test_proof.py`, not those of JSON Schema in the abstract: readers ignore
unknown fields (so an added optional property breaks nothing), every optional property is
`X | None = None` (so `null` is already read as "absent" there), enums are closed `StrEnum`s (so
an added value breaks old readers), and JSON is read strictly (so `"12"` is not an integer).
docs/decisions/007-breaking-changes.md explains each choice and how it differs from oasdiff and
Confluent.
"""

from __future__ import annotations

from codegen.diff.change import BACKWARD, BOTH, FORWARD, NEITHER, Direction, Rule

__all__ = ["RULES"]

_ALL: list[Rule] = []


def _rule(id_: str, breaks: frozenset[Direction], summary: str, *, advisory: bool = False) -> Rule:
    rule = Rule(id_, breaks, summary, advisory=advisory)
    _ALL.append(rule)
    return rule


# -- schemas: properties -------------------------------------------------------------------------
PROPERTY_ADDED_OPTIONAL = _rule(
    "property-added-optional", NEITHER, "an optional property was added (readers ignore unknown fields)"
)
PROPERTY_ADDED_REQUIRED = _rule(
    "property-added-required", BACKWARD, "a required property was added: what is stored lacks it"
)
PROPERTY_REMOVED_REQUIRED = _rule(
    "property-removed-required", FORWARD, "a required property was removed: old readers still require it"
)
PROPERTY_REMOVED_OPTIONAL = _rule(
    "property-removed-optional",
    NEITHER,
    "an optional property was removed: its name must never be reused with another meaning",
    advisory=True,
)
PROPERTY_BECAME_REQUIRED = _rule("property-became-required", BACKWARD, "an optional property became required")
PROPERTY_BECAME_OPTIONAL = _rule("property-became-optional", FORWARD, "a required property became optional")
ADDITIONAL_PROPERTIES_NARROWED = _rule(
    "additional-properties-narrowed",
    NEITHER,
    "an object was closed to unknown properties (SDK readers ignore them anyway)",
    advisory=True,
)

# -- schemas: types and values -------------------------------------------------------------------
TYPE_CHANGED = _rule("type-changed", BOTH, "the type changed")
TYPE_WIDENED = _rule("type-widened", FORWARD, "the type accepts more (integer -> number, a type added)")
TYPE_NARROWED = _rule("type-narrowed", BACKWARD, "the type accepts less (number -> integer, a type removed)")
NULLABLE_ADDED = _rule("nullable-added", FORWARD, "null became allowed where a value was required")
NULLABLE_REMOVED = _rule("nullable-removed", BACKWARD, "null is no longer allowed where a value is required")
NULLABLE_CHANGED_OPTIONAL = _rule(
    "nullable-changed-optional",
    NEITHER,
    "null allowed or disallowed on an optional property (the SDK reads null as absent there)",
)
FORMAT_ADDED = _rule("format-added", BACKWARD, "a format the SDK validates was added")
FORMAT_REMOVED = _rule("format-removed", FORWARD, "a format the SDK validates was removed")
FORMAT_CHANGED = _rule("format-changed", BOTH, "the format changed")
FORMAT_ANNOTATION_CHANGED = _rule(
    "format-annotation-changed",
    NEITHER,
    "a format the SDK does not validate changed (other readers may)",
    advisory=True,
)
ENUM_VALUE_ADDED = _rule(
    "enum-value-added", FORWARD, "an enum value was added: old readers' enums are closed"
)
ENUM_VALUE_REMOVED = _rule("enum-value-removed", BACKWARD, "an enum value was removed: stored events use it")
ENUM_ADDED = _rule("enum-added", BACKWARD, "a free value became an enum")
ENUM_REMOVED = _rule("enum-removed", FORWARD, "an enum became a free value")
CONST_ADDED = _rule("const-added", BACKWARD, "a const was added")
CONST_REMOVED = _rule("const-removed", FORWARD, "a const was removed")
CONST_CHANGED = _rule("const-changed", BOTH, "the const changed")
BOUND_TIGHTENED = _rule(
    "bound-tightened", BACKWARD, "a bound was added or tightened (min raised, max lowered, multipleOf)"
)
BOUND_RELAXED = _rule("bound-relaxed", FORWARD, "a bound was removed or relaxed (min lowered, max raised)")
MULTIPLE_OF_CHANGED = _rule("multiple-of-changed", BOTH, "multipleOf changed to an unrelated value")
PATTERN_ADDED = _rule("pattern-added", BACKWARD, "a pattern was added")
PATTERN_REMOVED = _rule("pattern-removed", FORWARD, "a pattern was removed")
PATTERN_CHANGED = _rule("pattern-changed", BOTH, "the pattern changed")
UNIQUE_ITEMS_CHANGED = _rule(
    "unique-items-changed", NEITHER, "uniqueItems changed (the SDK does not check it)", advisory=True
)
SENSITIVE_MARKING_CHANGED = _rule(
    "sensitive-marking-changed",
    BOTH,
    "x-a4co-sensitive changed: the field travels encrypted where it did not, or the other way round",
)
DEFAULT_CHANGED = _rule(
    "default-changed", NEITHER, "the default changed: readers fill absent values differently", advisory=True
)

# -- schemas: unions -----------------------------------------------------------------------------
UNION_BRANCH_ADDED = _rule(
    "union-branch-added", FORWARD, "a oneOf/anyOf branch was added: old readers know no such branch"
)
UNION_BRANCH_REMOVED = _rule(
    "union-branch-removed", BACKWARD, "a oneOf/anyOf branch was removed: stored events use it"
)
DISCRIMINATOR_CHANGED = _rule(
    "discriminator-changed", BOTH, "the discriminator (property or mapping) of a union changed"
)
DISCRIMINATOR_ADDED = _rule(
    "discriminator-added", NEITHER, "a union got a discriminator (same values accepted)", advisory=True
)
DISCRIMINATOR_REMOVED = _rule(
    "discriminator-removed", NEITHER, "a union lost its discriminator (same values accepted)", advisory=True
)
SCHEMA_UNRESOLVED = _rule(
    "schema-unresolved", NEITHER, "a $ref does not resolve, so this part was not compared", advisory=True
)

# -- channels and messages -----------------------------------------------------------------------
CHANNEL_REMOVED = _rule("channel-removed", BOTH, "a channel was removed while its operations were current")
DEPRECATED_CHANNEL_REMOVED = _rule(
    "deprecated-channel-removed", NEITHER, "a deprecated channel was removed", advisory=True
)
CHANNEL_ADDED = _rule("channel-added", NEITHER, "a channel was added")
CHANNEL_VERSION_ADDED = _rule(
    "channel-version-added", NEITHER, "a new major version of a channel was added beside the old one"
)
PREVIOUS_VERSION_NOT_DEPRECATED = _rule(
    "previous-version-not-deprecated",
    NEITHER,
    "a channel has a newer version but its operations are not marked deprecated",
    advisory=True,
)
MESSAGE_REMOVED = _rule("message-removed", BACKWARD, "a message was removed from a channel")
MESSAGE_ADDED = _rule(
    "message-added", FORWARD, "a message was added to an existing channel: old consumers cannot read it"
)
CONTENT_TYPE_CHANGED = _rule("content-type-changed", BOTH, "the content type of a message changed")
COMPATIBILITY_MODE_CHANGED = _rule(
    "compatibility-mode-changed", NEITHER, "x-a4co-compatibility of a channel changed", advisory=True
)

# -- JetStream -----------------------------------------------------------------------------------
STREAM_REMOVED = _rule("stream-removed", BOTH, "a stream was removed, and the events it stores with it")
STREAM_ADDED = _rule("stream-added", NEITHER, "a stream was added")
CHANNEL_LEFT_STREAM = _rule(
    "channel-left-stream", BOTH, "a channel no longer falls in the stream that stores its events"
)
STREAM_RETENTION_REDUCED = _rule(
    "stream-retention-reduced",
    NEITHER,
    "a stream keeps events for less time or fewer of them: replays reach less",
    advisory=True,
)
CONSUMER_FILTER_DROPS_CHANNEL = _rule(
    "consumer-filter-drops-channel",
    BOTH,
    "a durable consumer no longer delivers the channel of an operation that names it",
)
CONSUMER_REMOVED = _rule(
    "consumer-removed", NEITHER, "a durable consumer was removed (its position is lost)", advisory=True
)
CONSUMER_ADDED = _rule("consumer-added", NEITHER, "a durable consumer was added")
JETSTREAM_SETTING_CHANGED = _rule(
    "jetstream-setting-changed", NEITHER, "a stream or consumer setting changed", advisory=True
)

# -- OpenAPI -------------------------------------------------------------------------------------
PATH_REMOVED = _rule("path-removed", BOTH, "a path was removed")
OPERATION_REMOVED = _rule("operation-removed", BOTH, "an HTTP operation was removed")
DEPRECATED_OPERATION_REMOVED = _rule(
    "deprecated-operation-removed", NEITHER, "a deprecated HTTP operation was removed", advisory=True
)
OPERATION_ADDED = _rule("operation-added", NEITHER, "an HTTP operation was added")
PARAMETER_REMOVED = _rule("parameter-removed", BACKWARD, "a parameter was removed: old clients send it")
PARAMETER_ADDED_REQUIRED = _rule(
    "parameter-added-required", BACKWARD, "a required parameter was added: old clients do not send it"
)
PARAMETER_ADDED_OPTIONAL = _rule("parameter-added-optional", NEITHER, "an optional parameter was added")
PARAMETER_BECAME_REQUIRED = _rule("parameter-became-required", BACKWARD, "a parameter became required")
PARAMETER_BECAME_OPTIONAL = _rule("parameter-became-optional", FORWARD, "a parameter became optional")
REQUEST_BODY_ADDED_REQUIRED = _rule(
    "request-body-added-required", BACKWARD, "a required request body was added"
)
REQUEST_BODY_ADDED_OPTIONAL = _rule(
    "request-body-added-optional", NEITHER, "an optional request body was added"
)
REQUEST_BODY_BECAME_REQUIRED = _rule(
    "request-body-became-required", BACKWARD, "the request body became required"
)
REQUEST_BODY_BECAME_OPTIONAL = _rule(
    "request-body-became-optional", FORWARD, "the request body became optional"
)
REQUEST_CONTENT_TYPE_REMOVED = _rule(
    "request-content-type-removed", BACKWARD, "a request content type was removed: old clients send it"
)
REQUEST_CONTENT_TYPE_ADDED = _rule("request-content-type-added", FORWARD, "a request content type was added")
RESPONSE_STATUS_REMOVED = _rule(
    "response-status-removed", FORWARD, "a response status was removed: old clients handle it"
)
RESPONSE_SUCCESS_STATUS_ADDED = _rule(
    "response-success-status-added",
    FORWARD,
    "a 2xx status was added: old generated clients reject an undocumented success",
)
RESPONSE_STATUS_ADDED = _rule(
    "response-status-added", NEITHER, "an error status was added (old clients raise it as an error)"
)
RESPONSE_CONTENT_TYPE_REMOVED = _rule(
    "response-content-type-removed", FORWARD, "a response content type was removed"
)
RESPONSE_CONTENT_TYPE_ADDED = _rule(
    "response-content-type-added", NEITHER, "a response content type was added"
)

#: Every rule by id.
RULES: dict[str, Rule] = {rule.id: rule for rule in _ALL}
