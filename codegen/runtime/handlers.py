"""Base of the generated per-service handler interfaces.

A service implements one method per receive operation of its contract. Type checkers flag a missing
method; at run time, creating the implementation raises `MissingHandlers` naming each receive operation
left without a handler, before any consumer starts.
"""

import abc
from collections.abc import Mapping
from typing import Any, ClassVar, Self

from .errors import MissingHandlers

__all__ = ["HandlerInterface"]


class HandlerInterface(abc.ABC):  # noqa: B024 - the generated subclasses declare the abstract methods
    service: ClassVar[str] = ""
    operation_of: ClassVar[Mapping[str, str]] = {}
    """Method name -> `operationId (channel address)`."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:  # noqa: ARG004 - __init__ takes them
        missing = sorted(getattr(cls, "__abstractmethods__", ()))
        if missing:
            raise MissingHandlers(
                cls.service or cls.__name__,
                [f"{cls.operation_of.get(name, name)} -> {name}()" for name in missing],
            )
        return super().__new__(cls)
