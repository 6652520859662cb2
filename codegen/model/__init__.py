"""What the contracts define, read into frozen dataclasses for the lint, the CLI and codegen.

`codegen.loader` gives the files as JSON with their origins; this package answers questions
about them: which operations send a message, which stream holds a channel, what a duration
means, whether two NATS subject patterns overlap.
"""

from codegen.model.asyncapi import (
    AsyncAPIModel,
    Channel,
    Consumer,
    Message,
    Operation,
    Stream,
    read_asyncapi,
)
from codegen.model.asyncapi_sites import AsyncAPISites, asyncapi_sites
from codegen.model.durations import parse_duration
from codegen.model.openapi import HTTP_METHODS, HttpOperation, read_http_operations
from codegen.model.openapi_sites import ExampleSite, OpenAPISites, openapi_sites
from codegen.model.overview import (
    ChannelRow,
    ConsumerRow,
    ServiceRow,
    StreamRow,
    channel_rows,
    consumer_rows,
    http_rows,
    service_rows,
    stream_rows,
)
from codegen.model.subjects import address_pattern, covers, is_valid_pattern, matches, overlaps
from codegen.model.traits import apply_traits, merge_patch

__all__ = [
    "HTTP_METHODS",
    "AsyncAPIModel",
    "AsyncAPISites",
    "Channel",
    "ChannelRow",
    "Consumer",
    "ConsumerRow",
    "ExampleSite",
    "HttpOperation",
    "Message",
    "OpenAPISites",
    "Operation",
    "ServiceRow",
    "Stream",
    "StreamRow",
    "address_pattern",
    "apply_traits",
    "asyncapi_sites",
    "channel_rows",
    "consumer_rows",
    "covers",
    "http_rows",
    "is_valid_pattern",
    "matches",
    "merge_patch",
    "openapi_sites",
    "overlaps",
    "parse_duration",
    "read_asyncapi",
    "read_http_operations",
    "service_rows",
    "stream_rows",
]
