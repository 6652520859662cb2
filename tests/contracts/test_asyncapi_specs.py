"""The official AsyncAPI JSON Schema: fetched from npm once, integrity-checked, cached."""

import io
from pathlib import Path
from typing import Self

import pytest

from codegen.errors import SpecsError
from codegen.lint import asyncapi_specs
from codegen.lint.asyncapi_specs import SPECS_VERSION, cache_dir, official_schema, tarball_url


def test_the_official_schema_is_cached_in_the_repository() -> None:
    schema = official_schema()  # downloads from the npm registry on the first run only
    assert schema["title"] == "AsyncAPI 3.0.0 schema."
    assert "definitions" in schema
    assert (cache_dir() / f"asyncapi-specs-{SPECS_VERSION}" / "3.0.0-without-$id.json").is_file()


def test_the_tarball_comes_from_the_npm_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NPM_CONFIG_REGISTRY", raising=False)
    assert tarball_url() == f"https://registry.npmjs.org/@asyncapi/specs/-/specs-{SPECS_VERSION}.tgz"


def test_a_tarball_that_fails_its_integrity_check_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Response(io.BytesIO):
        def __enter__(self) -> Self:
            return self

        def __exit__(self, *args: object) -> None:
            self.close()

    monkeypatch.setenv("A4CO_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(
        asyncapi_specs.urllib.request, "urlopen", lambda url, timeout: Response(b"not the tarball")
    )
    with pytest.raises(SpecsError, match="failed its integrity check"):
        official_schema()
    assert not any(tmp_path.rglob("*.json"))
