"""The contracts of a git ref, written to a temporary directory to compare with the working tree.

Only local git is used (`rev-parse`, `ls-tree`, `cat-file --batch`): no fetch, no network, and
no checkout that would touch the working tree. Blobs are read from the object database rather
than through `git archive`, so `export-ignore` attributes cannot hide a contract file.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from codegen.errors import ContractError

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["GitBaseError", "contracts_at"]

_GIT = shutil.which("git") or "git"


class GitBaseError(ContractError):
    """The base ref cannot be read: not a git repository, or no such ref."""


def _git(args: list[str], cwd: Path, *, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([_GIT, *args], cwd=cwd, input=stdin, capture_output=True, check=False)  # noqa: S603 - fixed git sub-commands, the ref is passed after validation


@contextmanager
def contracts_at(ref: str, contracts: Path) -> Iterator[Path | None]:
    """The `contracts` directory as it is in `ref`, or None when `ref` has no such directory.

    Raises `GitBaseError` when `contracts` is not in a git work tree or `ref` names no commit.
    """
    where = contracts if contracts.is_dir() else contracts.parent
    found = _git(["rev-parse", "--show-toplevel"], where)
    if found.returncode != 0:
        raise GitBaseError(f"{contracts} is not in a git repository: cannot compare with {ref!r}")
    top = Path(found.stdout.decode().strip()).resolve()
    try:
        relative = PurePosixPath(contracts.resolve().relative_to(top).as_posix())
    except ValueError:
        raise GitBaseError(f"{contracts} is outside the git work tree {top}") from None
    if ref.startswith("-"):
        raise GitBaseError(f"git ref {ref!r} does not exist")
    resolved = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], top)
    if resolved.returncode != 0:
        raise GitBaseError(f"git ref {ref!r} does not exist (no commit of that name in {top})")
    commit = resolved.stdout.decode().strip()
    blobs = _blobs(commit, relative, top)
    if not blobs:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="a4co-diff-base-") as tmp:
        root = Path(tmp)
        _write(blobs, root, top)
        yield root / relative


def _blobs(commit: str, relative: PurePosixPath, top: Path) -> list[tuple[str, str]]:
    """(object id, path) of every regular file under `relative` in `commit`."""
    listing = _git(["ls-tree", "-r", "-z", "--full-tree", commit, "--", str(relative)], top)
    if listing.returncode != 0:
        raise GitBaseError(f"git ls-tree failed: {listing.stderr.decode().strip()}")
    blobs = []
    for entry in listing.stdout.decode().split("\0"):
        if not entry:
            continue
        meta, _, path = entry.partition("\t")
        mode, kind, oid = meta.split()
        if kind == "blob" and mode != "120000":  # symlinks are not contract files
            blobs.append((oid, path))
    return blobs


def _write(blobs: list[tuple[str, str]], root: Path, top: Path) -> None:
    """Read every blob with one `git cat-file --batch` and write it under `root`."""
    request = "".join(f"{oid}\n" for oid, _ in blobs).encode()
    batch = _git(["cat-file", "--batch"], top, stdin=request)
    if batch.returncode != 0:
        raise GitBaseError(f"git cat-file failed: {batch.stderr.decode().strip()}")
    data, offset = batch.stdout, 0
    for _, path in blobs:
        header_end = data.index(b"\n", offset)
        size = int(data[offset:header_end].split()[2])
        start = header_end + 1
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data[start : start + size])
        offset = start + size + 1
