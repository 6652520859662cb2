"""Resolving `$ref`s across contract files, each file read and parsed once.

A reference is resolved against the file it is written in, as JSON Reference says:
`./schemas/common.yaml#/Money` from `asyncapi.yaml` names `schemas/common.yaml#/Money`, and
`#/GeoPoint` inside `schemas/common.yaml` names `schemas/common.yaml#/GeoPoint`. Fragments are
JSON pointers (percent-decoded, then `~1`/`~0`-unescaped). Contracts are self-contained: remote
references (`http:`, `https:`) are refused, so nothing is fetched while resolving.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from codegen.errors import LoadError, PointerError, RefCycleError, RefError
from codegen.loader import pointer as jp
from codegen.loader.location import Location
from codegen.loader.yaml_source import read_yaml

__all__ = ["Resolver"]


class Resolver:
    """Reads contract files on demand, caches them, and resolves references between them.

    Files are named by their POSIX path relative to `root` (`schemas/order.yaml`); a file
    outside the root keeps its `../` prefix.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._documents: dict[str, Any] = {}
        self._failures: dict[str, LoadError] = {}

    # -- files ---------------------------------------------------------------------------

    def document(self, file: str) -> Any:
        """The parsed content of `file`, read the first time it is asked for."""
        if file in self._documents:
            return self._documents[file]
        if file in self._failures:
            raise self._failures[file]
        try:
            content = read_yaml(self.path(file), file=file)
        except LoadError as exc:
            self._failures[file] = exc
            raise
        self._documents[file] = content
        return content

    def loaded(self) -> dict[str, Any]:
        """The files read so far, by name, in the order they were read."""
        return dict(self._documents)

    def path(self, file: str) -> Path:
        """The filesystem path of `file`."""
        return self.root / file

    def file_of(self, path: Path) -> str:
        """The name of the file at `path` (the inverse of `path`)."""
        return Path(posixpath.relpath(path.resolve().as_posix(), self.root.as_posix())).as_posix()

    def uri(self, file: str) -> str:
        """The absolute `file:` URI of `file`, as JSON Schema tools want it."""
        return self.path(file).resolve().as_uri()

    def file_of_uri(self, uri: str) -> str | None:
        """The file a `file:` URI names, or `None` for any other URI."""
        parts = urlsplit(uri)
        if parts.scheme != "file":
            return None
        return self.file_of(Path(url2pathname(parts.path)))

    # -- nodes and references ------------------------------------------------------------

    def node(self, location: Location) -> Any:
        """The node at `location`; `LoadError` or `PointerError` if there is none."""
        return jp.lookup(self.document(location.file), location.pointer)

    def target(self, ref: str, at: Location) -> Location:
        """Where the reference `ref`, written in the object at `at`, points.

        Raises `RefError` when the reference is remote, has a fragment that is not a JSON
        pointer, or names a file or a node that does not exist.
        """
        base, _, fragment = ref.partition("#")
        pointer = jp.from_fragment(fragment)
        if pointer and not pointer.startswith("/"):
            raise self._error(f"fragment {fragment!r} is not a JSON pointer", ref, at)
        file = self._file_for(base, ref, at)
        try:
            self.node(Location(file, pointer))
        except LoadError as exc:
            raise self._error(f"{file}: {exc}", ref, at) from None
        except PointerError as exc:
            raise self._error(f"{file}#{pointer}: {exc}", ref, at) from None
        return Location(file, pointer)

    def deref(self, node: Any, at: Location) -> tuple[Any, Location]:
        """Follow `node` while it is a `$ref`: the node finally reached and where it is."""
        followed: list[Location] = []
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            if at in followed:
                chain = " -> ".join(str(location) for location in [*followed, at])
                raise RefCycleError(
                    f"reference cycle: {chain}", ref=node["$ref"], file=at.file, pointer=at.pointer
                )
            followed.append(at)
            at = self.target(node["$ref"], at)
            node = self.node(at)
        return node, at

    def deref_location(self, at: Location) -> tuple[Any, Location]:
        """`deref` of the node at `at`."""
        return self.deref(self.node(at), at)

    def _file_for(self, base: str, ref: str, at: Location) -> str:
        if not base:
            return at.file
        parts = urlsplit(base)
        if parts.scheme == "file":
            return self.file_of(Path(url2pathname(parts.path)))
        if parts.scheme or parts.netloc:
            raise self._error("remote references are not resolved: contracts are self-contained", ref, at)
        return posixpath.normpath(posixpath.join(posixpath.dirname(at.file), unquote(parts.path)))

    @staticmethod
    def _error(reason: str, ref: str, at: Location) -> RefError:
        return RefError(f"$ref {ref!r} does not resolve: {reason}", ref=ref, file=at.file, pointer=at.pointer)
