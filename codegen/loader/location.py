"""Where a node lives: a contract file (relative to the contracts root) and a JSON pointer.

The loader keeps plain JSON values (dicts, lists, scalars) so that they can be handed to
jsonschema and the code generator as they are. Origins are therefore not attached to the
nodes, which YAML anchors may share between places, but carried beside them: whoever walks
a document walks its `Location` along with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from codegen.loader import pointer as jp

__all__ = ["Location"]


@dataclass(frozen=True, order=True, slots=True)
class Location:
    """A node of a contract file: `file` is POSIX and relative to the contracts root."""

    file: str
    pointer: str = ""

    def child(self, *tokens: str | int) -> Location:
        """The location of a descendant, one token per level."""
        return Location(self.file, jp.join(self.pointer, *tokens))

    def parent(self) -> Location:
        """The location of the containing node (the root is its own parent)."""
        return Location(self.file, self.pointer.rpartition("/")[0])

    @property
    def tokens(self) -> list[str]:
        """The unescaped tokens of the pointer."""
        return jp.split(self.pointer)

    def __str__(self) -> str:
        return f"{self.file}#{self.pointer}"
