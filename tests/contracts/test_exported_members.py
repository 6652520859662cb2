"""The public surface of the contract toolchain is what each package's `__all__` says."""

import importlib

import pytest


@pytest.mark.parametrize("name", ["codegen.loader", "codegen.model", "codegen.lint"])
def test_all_lists_exactly_the_public_names(name: str) -> None:
    module = importlib.import_module(name)
    public = {
        n
        for n, value in vars(module).items()
        if not n.startswith("_") and not isinstance(value, type(importlib))
    }
    assert len(set(module.__all__)) == len(module.__all__)
    assert set(module.__all__) == public
