"""Applying AsyncAPI traits: JSON Merge Patch (RFC 7386), the message's own fields winning.

AsyncAPI 3 merges each trait into the object that lists it and says a trait must not override
what the object already defines. Merging the traits in order and then the object's own fields
over them gives exactly that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["apply_traits", "merge_patch"]


def merge_patch(target: Any, patch: Any) -> Any:
    """`target` patched by `patch` (RFC 7386): objects merge, `null` deletes, the rest replaces."""
    if not isinstance(patch, Mapping):
        return patch
    result: dict[str, Any] = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def apply_traits(obj: Mapping[str, Any], traits: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """`obj` with its `traits` applied, without the `traits` field itself."""
    merged: dict[str, Any] = {}
    for trait in traits:
        merged = merge_patch(merged, trait)
    own = {key: value for key, value in obj.items() if key != "traits"}
    result: dict[str, Any] = merge_patch(merged, own)
    return result
