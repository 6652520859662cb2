"""Exceptions of the generated SDK.

SdkError
 ├── ContractViolation      a message or request does not satisfy its contract (nothing was sent)
 ├── DecodeError            a received message could not be decoded or validated
 ├── PublishError           JetStream did not store a message
 ├── MissingHandlers        a service left receive operations of its contract without a handler
 ├── ProvisioningError      a stream or consumer could not be created or updated
 └── ApiError               an HTTP call failed (see `http_errors` for one class per status)
"""

from typing import Literal

__all__ = [
    "ApiError",
    "ContractViolation",
    "DecodeError",
    "MissingHandlers",
    "ProvisioningError",
    "PublishError",
    "SdkError",
]


class SdkError(Exception):
    """Base class of every error the SDK raises."""


class ContractViolation(SdkError, ValueError):  # noqa: N818 - the name says what happened, like ValueError
    """A message or request does not satisfy its contract; nothing was sent."""


class DecodeError(SdkError):
    """A received message could not be decoded (`undecodable`) or does not match its schema (`invalid`)."""

    def __init__(self, message: str, *, kind: Literal["undecodable", "invalid"], subject: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.subject = subject


class PublishError(SdkError):
    """JetStream did not acknowledge a message."""

    def __init__(self, message: str, *, subject: str) -> None:
        super().__init__(message)
        self.subject = subject


class MissingHandlers(SdkError):  # noqa: N818 - names the condition
    """A service left receive operations of its contract without a handler."""

    def __init__(self, service: str, operations: list[str]) -> None:
        super().__init__(
            f"service {service!r} has no handler for these receive operations of its contract: "
            + ", ".join(operations)
        )
        self.service = service
        self.operations = operations


class ProvisioningError(SdkError):
    """A stream or consumer could not be created or updated as the contract says."""


class ApiError(SdkError):
    """An HTTP call failed; `status` is the HTTP status (0 when no response arrived)."""

    def __init__(self, message: str, *, status: int, problem: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.problem = problem or {}
