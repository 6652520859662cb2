"""Where the contracts are and what to generate: `[tool.a4co.codegen]` in the project's pyproject.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

from codegen.errors import ContractError
from codegen.project import GeneratorConfig

__all__ = ["load_config"]


def load_config(start: Path | None = None) -> GeneratorConfig:
    """The generator settings of the project containing `start` (default: the working directory)."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        pyproject = directory / "pyproject.toml"
        if not pyproject.is_file():
            continue
        settings = tomllib.loads(pyproject.read_text()).get("tool", {}).get("a4co", {}).get("codegen")
        if settings is None:
            continue
        return GeneratorConfig(
            package=str(settings.get("package", "sdk")),
            distribution=str(settings.get("distribution", "sdk")),
            contracts=directory / str(settings.get("contracts", "contracts")),
            output=directory / str(settings.get("output", "generated")),
        )
    raise ContractError(f"no pyproject.toml with [tool.a4co.codegen] above {here}")
