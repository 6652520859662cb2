"""Field-level protection of sensitive leaves (`x-a4co-sensitive`) on their way to and from the wire.

The contract describes plaintext; a `FieldCipher` turns each marked string into a token on publish and
back before validation on receipt. Paths come from the contract (generated into each `MessageSpec`);
"*" stands for every element of an array, and a path that does not exist in a message (an optional field,
another branch of a oneOf) is skipped.
"""

from collections.abc import Callable, Mapping
from typing import Any, Protocol

__all__ = ["FieldCipher", "transform_fields"]


class FieldCipher(Protocol):
    """Encrypts and decrypts one sensitive string value."""

    def encrypt(self, value: str, *, path: tuple[str, ...], classification: str, message: str) -> str: ...

    def decrypt(self, value: str, *, path: tuple[str, ...], classification: str, message: str) -> str: ...


def _walk(node: Any, path: tuple[str, ...], change: Callable[[str], str]) -> None:
    head, rest = path[0], path[1:]
    if head == "*":
        children = node if isinstance(node, list) else []
        for i, child in enumerate(children):
            if rest:
                _walk(child, rest, change)
            elif isinstance(child, str):
                children[i] = change(child)
        return
    if not isinstance(node, dict) or head not in node:
        return
    if rest:
        _walk(node[head], rest, change)
    elif isinstance(node[head], str):
        node[head] = change(node[head])


def transform_fields(
    document: dict[str, Any],
    paths: Mapping[tuple[str, ...], str],
    change: Callable[[str, tuple[str, ...], str], str],
) -> dict[str, Any]:
    """Apply `change(value, path, classification)` to each sensitive leaf of a decoded body, in place."""
    for path, classification in paths.items():

        def change_leaf(
            value: str, path: tuple[str, ...] = path, classification: str = classification
        ) -> str:
            return change(value, path, classification)

        _walk(document, path, change_leaf)
    return document
