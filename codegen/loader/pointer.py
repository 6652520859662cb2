"""JSON pointers (RFC 6901) as the loader writes them and as `$ref` fragments carry them.

Every error the toolchain reports names a file and a pointer, so pointers are built here in
one way: tokens escaped with `~0`/`~1`, the root written as the empty string. A `$ref`
fragment is additionally percent-encoded (`#/paths/~1orders~1%7Bid%7D`), which `from_fragment`
undoes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

from codegen.errors import PointerError

__all__ = ["escape", "from_fragment", "join", "lookup", "split", "to_fragment", "unescape"]


def escape(token: str | int) -> str:
    """Escape one reference token: `~` becomes `~0`, `/` becomes `~1`."""
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """Undo `escape`."""
    return token.replace("~1", "/").replace("~0", "~")


def join(pointer: str, *tokens: str | int) -> str:
    """The pointer to a descendant of `pointer`, one token per level."""
    return pointer + "".join("/" + escape(token) for token in tokens)


def split(pointer: str) -> list[str]:
    """The unescaped tokens of `pointer`; the root pointer `""` has none."""
    if not pointer:
        return []
    if not pointer.startswith("/"):
        raise PointerError(f"JSON pointer {pointer!r} does not start with '/'", pointer=pointer)
    return [unescape(token) for token in pointer[1:].split("/")]


def from_fragment(fragment: str) -> str:
    """The JSON pointer a URI fragment holds (percent-decoded, `#` already removed)."""
    return unquote(fragment)


def lookup(document: Any, pointer: str) -> Any:
    """The node `pointer` names in `document`; `PointerError` if there is none."""
    node = document
    walked = ""
    for token in split(pointer):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and _is_index(token) and int(token) < len(node):
            node = node[int(token)]
        else:
            raise PointerError(f"{walked or 'the document root'} has no member {token!r}", pointer=pointer)
        walked = join(walked, token)
    return node


def _is_index(segment: str) -> bool:
    return segment.isdigit() and (segment == "0" or not segment.startswith("0"))


def to_fragment(pointer: str) -> str:
    """`pointer` written as a URI fragment (without the `#`): percent-encodes what URIs forbid."""
    return quote(pointer, safe="/~!$&'()*+,;=:@")
