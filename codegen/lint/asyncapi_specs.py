"""The official AsyncAPI 3.0.0 JSON Schema, from the npm package `@asyncapi/specs`.

The `asyncapi-schema` lint validates against the schema the AsyncAPI project publishes, not a
copy kept here. It is fetched once from the npm registry with urllib (no Node needed), the
tarball checked against the pinned `dist.integrity`, and the schema extracted into the
repository's git-ignored `.cache/`. Later runs read the cache and never touch the network.

The `-without-$id` variant is used: its `$ref`s are local (`#/definitions/...`), so it
resolves offline with no retrieval at all.

`A4CO_CACHE_DIR` moves the cache; `NPM_CONFIG_REGISTRY` points at another npm registry (the
integrity check still applies).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import tarfile
import tempfile
import urllib.error
import urllib.request
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from codegen.errors import SpecsError

__all__ = [
    "SCHEMA_MEMBER",
    "SPECS_INTEGRITY",
    "SPECS_PACKAGE",
    "SPECS_VERSION",
    "cache_dir",
    "official_schema",
    "tarball_url",
]

SPECS_PACKAGE = "@asyncapi/specs"
SPECS_VERSION = "6.11.1"
SPECS_INTEGRITY = (
    "sha512-A3WBLqAKGoJ2+6FWFtpjBlCQ1oFCcs4GxF7zsIGvNqp/klGUHjlA3aAcZ9XMMpLGE8zPeYDz2x9FmO6DSuKraQ=="
)
SCHEMA_MEMBER = "package/schemas/3.0.0-without-$id.json"
_DEFAULT_REGISTRY = "https://registry.npmjs.org"
_TIMEOUT_SECONDS = 60


def cache_dir() -> Path:
    """Where fetched specifications are kept: `A4CO_CACHE_DIR`, else `<repository>/.cache`."""
    configured = os.environ.get("A4CO_CACHE_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / ".cache"


def official_schema() -> dict[str, Any]:
    """The AsyncAPI 3.0.0 JSON Schema (draft-07), fetched and cached on first use."""
    return _load(cache_dir() / f"asyncapi-specs-{SPECS_VERSION}" / Path(SCHEMA_MEMBER).name)


@cache
def _load(path: Path) -> dict[str, Any]:
    schema = _read(path)
    if schema is None:  # not fetched yet, or a damaged cache file: fetch it (again)
        _store(path, _extract(_download()))
        schema = _read(path)
    if schema is None:
        raise SpecsError(f"{path} does not hold a JSON Schema object")
    return schema


def _read(path: Path) -> dict[str, Any] | None:
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return schema if isinstance(schema, dict) else None


def tarball_url() -> str:
    """The registry URL of the pinned tarball."""
    registry = os.environ.get("NPM_CONFIG_REGISTRY", _DEFAULT_REGISTRY).rstrip("/")
    name = SPECS_PACKAGE.rsplit("/", maxsplit=1)[-1]
    return f"{registry}/{SPECS_PACKAGE}/-/{name}-{SPECS_VERSION}.tgz"


def _download() -> bytes:
    url = tarball_url()
    if urlsplit(url).scheme not in {"https", "http"}:
        raise SpecsError(f"refusing to fetch {url}: not an http(s) URL")
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT_SECONDS) as response:  # noqa: S310 - scheme checked above
            data: bytes = response.read()
    except (urllib.error.URLError, OSError) as exc:
        raise SpecsError(f"cannot download {SPECS_PACKAGE}@{SPECS_VERSION} from {url}: {exc}") from None
    algorithm, _, expected = SPECS_INTEGRITY.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode("ascii")
    if actual != expected:
        raise SpecsError(
            f"{url} failed its integrity check: expected {SPECS_INTEGRITY}, got {algorithm}-{actual}"
        )
    return data


def _extract(tarball: bytes) -> bytes:
    try:
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
            member = archive.extractfile(SCHEMA_MEMBER)
            if member is None:
                raise SpecsError(f"{SCHEMA_MEMBER} is not a file in {SPECS_PACKAGE}@{SPECS_VERSION}")
            return member.read()
    except (tarfile.TarError, KeyError) as exc:
        raise SpecsError(f"cannot read {SCHEMA_MEMBER} from {SPECS_PACKAGE}@{SPECS_VERSION}: {exc}") from None


def _store(path: Path, content: bytes) -> None:
    """Write atomically, so that parallel runs never read half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".part") as part:
            part.write(content)
        Path(part.name).chmod(0o644)
        Path(part.name).replace(path)
    except OSError as exc:
        raise SpecsError(f"cannot write the cache file {path}: {exc}") from None
