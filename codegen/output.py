"""Writing the generated tree, and checking that the committed one is current.

The output directory belongs to the generator: files it no longer produces are removed, except those
listed in `KEEP` (not generated, such as a virtualenv's build leftovers that are git-ignored anyway).
"""

from __future__ import annotations

import difflib
import shutil
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Drift", "check", "write"]

_IGNORED_PARTS = {"__pycache__", ".mypy_cache", ".ruff_cache", "dist", "build"}


def _existing(output: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    if not output.exists():
        return found
    for path in output.rglob("*"):
        relative = path.relative_to(output)
        if (
            path.is_file()
            and not (_IGNORED_PARTS & set(relative.parts))
            and not relative.parts[0].endswith(".egg-info")
        ):
            found[relative.as_posix()] = path
    return found


@dataclass(frozen=True, slots=True)
class Drift:
    """How the files on disk differ from what the contracts generate."""

    added: list[str]
    removed: list[str]
    changed: dict[str, str]
    """path -> unified diff."""

    @property
    def clean(self) -> bool:
        return not (self.added or self.removed or self.changed)


def check(files: dict[str, str], output: Path) -> Drift:
    existing = _existing(output)
    added = sorted(set(files) - set(existing))
    removed = sorted(set(existing) - set(files))
    changed: dict[str, str] = {}
    for path in sorted(set(files) & set(existing)):
        current = existing[path].read_text()
        if current != files[path]:
            diff = difflib.unified_diff(
                current.splitlines(keepends=True),
                files[path].splitlines(keepends=True),
                fromfile=f"{path} (committed)",
                tofile=f"{path} (from the contracts)",
                n=2,
            )
            changed[path] = "".join(diff)
    return Drift(added, removed, changed)


def write(files: dict[str, str], output: Path) -> Drift:
    """Make `output` hold exactly `files`; returns what changed."""
    drift = check(files, output)
    for path in drift.removed:
        (output / path).unlink()
    for path in [*drift.added, *drift.changed]:
        target = output / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(files[path])
    for directory in sorted((p for p in output.rglob("*") if p.is_dir()), reverse=True):
        if not any(directory.iterdir()) and directory.name not in _IGNORED_PARTS:
            shutil.rmtree(directory)
    return drift
