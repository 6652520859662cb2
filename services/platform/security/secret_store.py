"""Where key material lives: a small port, so that production can put a secret store behind it.

Development keeps every key of the marketplace in one directory (`.run/keys/`, or `A4CO_KEYS_DIR`), and
services create their keys the first time they need them. Several services start at once, so creating a
key must be safe under races: a key is written to a temporary file, made durable, then published with
`link()`, which fails if the name exists. The loser throws its key away and uses the winner's, so there
is never a half-written key file and never two keys under one name. Replacing (rotation) uses `rename()`.

A production adapter (Vault, a cloud KMS or secret manager) implements the same five methods; it should
hand each service only the secrets it may read, which the shared development directory cannot do.
"""

import contextlib
import os
import re
import uuid
from pathlib import Path
from typing import Protocol

__all__ = ["DEFAULT_KEYS_DIR", "KEYS_DIR_ENV", "DirectorySecretStore", "SecretStore", "keys_dir_from_env"]

KEYS_DIR_ENV = "A4CO_KEYS_DIR"
DEFAULT_KEYS_DIR = Path(".run/keys")

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")
_PRIVATE_MODE = 0o600
_PUBLIC_MODE = 0o644
_DIRECTORY_MODE = 0o700


class SecretStore(Protocol):
    """Named byte strings; `private` ones are readable by their owner only."""

    def read(self, name: str) -> bytes | None:
        """The stored bytes, or None when there is nothing under `name`."""
        ...

    def create(self, name: str, data: bytes, *, private: bool = True) -> bytes:
        """Store `data` unless `name` exists; return what is stored afterwards (ours or the winner's)."""
        ...

    def replace(self, name: str, data: bytes, *, private: bool = True) -> None:
        """Store `data` under `name`, atomically replacing what was there."""
        ...

    def delete(self, name: str) -> None:
        """Remove `name`; nothing happens when it does not exist."""
        ...

    def names(self) -> list[str]:
        """Every stored name."""
        ...


def keys_dir_from_env() -> Path:
    """`A4CO_KEYS_DIR`, or `.run/keys` (relative to the working directory, like the rest of `.run/`)."""
    return Path(os.environ.get(KEYS_DIR_ENV) or DEFAULT_KEYS_DIR)


class DirectorySecretStore:
    """A `SecretStore` over a directory (mode 0700); private files 0600, public ones 0644."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def __repr__(self) -> str:
        return f"DirectorySecretStore({str(self.directory)!r})"

    def read(self, name: str) -> bytes | None:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError:
            return None

    def create(self, name: str, data: bytes, *, private: bool = True) -> bytes:
        final = self._path(name)
        temporary = self._write_temporary(name, data, private=private)
        try:
            os.link(temporary, final)
        except FileExistsError:
            return final.read_bytes()
        finally:
            temporary.unlink()
        self._sync_directory()
        return data

    def replace(self, name: str, data: bytes, *, private: bool = True) -> None:
        final = self._path(name)
        temporary = self._write_temporary(name, data, private=private)
        try:
            temporary.replace(final)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        self._sync_directory()

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def names(self) -> list[str]:
        try:
            return sorted(p.name for p in self.directory.iterdir() if not p.name.startswith("."))
        except FileNotFoundError:
            return []

    def _path(self, name: str) -> Path:
        # Names reach here from token headers (a kid) and message tokens (a key id): never a path.
        if not _NAME.match(name) or ".." in name:
            raise ValueError(f"not a valid secret name: {name!r}")
        return self.directory / name

    def _write_temporary(self, name: str, data: bytes, *, private: bool) -> Path:
        self.directory.mkdir(mode=_DIRECTORY_MODE, parents=True, exist_ok=True)
        mode = _PRIVATE_MODE if private else _PUBLIC_MODE
        temporary = self.directory / f".{name}.{uuid.uuid4().hex}.tmp"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _PRIVATE_MODE)
        try:
            os.fchmod(descriptor, mode)  # the umask may not widen a public key's mode on its own
            view = memoryview(data)
            while view:
                view = view[os.write(descriptor, view) :]
            os.fsync(descriptor)
        except BaseException:
            os.close(descriptor)
            temporary.unlink(missing_ok=True)
            raise
        os.close(descriptor)
        return temporary

    def _sync_directory(self) -> None:
        """Make the new directory entry durable, so a key that signed tokens survives a power loss."""
        with contextlib.suppress(OSError):  # some file systems cannot fsync a directory
            descriptor = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
