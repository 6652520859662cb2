"""NATS subjects and the wildcard patterns of streams and consumer filters.

A subject is dot-separated tokens; in a pattern `*` stands for exactly one token and `>`,
only as the last token, for one or more. The lint needs three relations between patterns:

- `matches(pattern, subject)`: the concrete subject is delivered by the pattern;
- `covers(outer, inner)`: every subject `inner` can match, `outer` matches too (a channel
  whose address has a parameter falls in a stream only if the stream covers all of it);
- `overlaps(a, b)`: some subject matches both (two streams must never overlap: nats-server
  refuses the second one).
"""

from __future__ import annotations

import re

__all__ = ["address_pattern", "covers", "is_valid_pattern", "matches", "overlaps"]

_PARAMETER = re.compile(r"\{[^{}]*\}")


def _tokens(pattern: str) -> list[str]:
    return pattern.split(".")


def is_valid_pattern(pattern: str) -> bool:
    """Non-empty tokens without whitespace; `>` only last; wildcards only as whole tokens."""
    if not pattern or any(character.isspace() for character in pattern):
        return False
    tokens = _tokens(pattern)
    for index, segment in enumerate(tokens):
        if not segment:
            return False
        if segment == ">" and index != len(tokens) - 1:
            return False
        if segment not in {"*", ">"} and ("*" in segment or ">" in segment):
            return False
    return True


def matches(pattern: str, subject: str) -> bool:
    """Whether the concrete `subject` matches `pattern`."""
    return covers(pattern, subject)


def covers(outer: str, inner: str) -> bool:
    """Whether every subject that matches `inner` also matches `outer`."""
    outer_tokens, inner_tokens = _tokens(outer), _tokens(inner)
    for index, segment in enumerate(outer_tokens):
        if index >= len(inner_tokens):
            return False
        if segment == ">":
            return True
        other = inner_tokens[index]
        if other == ">":
            return False
        if segment != "*" and (other == "*" or other != segment):
            return False
    return len(outer_tokens) == len(inner_tokens)


def overlaps(first: str, second: str) -> bool:
    """Whether some concrete subject matches both patterns."""
    first_tokens, second_tokens = _tokens(first), _tokens(second)
    for index in range(min(len(first_tokens), len(second_tokens))):
        one, two = first_tokens[index], second_tokens[index]
        if ">" in {one, two}:
            return True
        if "*" not in {one, two} and one != two:
            return False
    return len(first_tokens) == len(second_tokens)


def address_pattern(address: str) -> str:
    """The subject pattern of a channel address.

    A concrete address is its own pattern. An address with `{parameter}`s becomes its static
    prefix (the tokens before the first one holding a parameter) followed by `>`, since a
    parameter's value may itself contain dots (`dlq.{originalSubject}` is `dlq.>`).
    """
    if not _PARAMETER.search(address):
        return address
    prefix: list[str] = []
    for segment in _tokens(address):
        if _PARAMETER.search(segment):
            break
        prefix.append(segment)
    return ".".join([*prefix, ">"])
