"""The committed SDK is exactly what the contracts generate, byte for byte, whatever the hash seed."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codegen.config import load_config
from codegen.output import check
from codegen.parser import parse
from codegen.project import build

ROOT = Path(__file__).resolve().parents[2]

DIGEST = """
import hashlib, sys
from pathlib import Path
from codegen.config import load_config
from codegen.parser import parse
from codegen.project import build
config = load_config(Path(sys.argv[1]))
files = build(parse(config.contracts, package=config.package), config)
digest = hashlib.sha256()
for path, content in sorted(files.items()):
    digest.update(path.encode() + b"\\0" + content.encode() + b"\\0")
print(digest.hexdigest())
"""


def test_generated_is_current() -> None:
    config = load_config(ROOT)
    drift = check(build(parse(config.contracts, package=config.package), config), config.output)
    assert drift.clean, (
        "generated/ is stale; run `make generate`:\n"
        f"missing {drift.added}\nnot generated {drift.removed}\n" + "\n".join(drift.changed.values())[:3000]
    )


@pytest.mark.parametrize("seeds", [("0", "1")])
def test_generation_is_byte_identical_across_runs_and_hash_seeds(seeds: tuple[str, str]) -> None:
    digests = set()
    for seed in seeds:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", DIGEST, str(ROOT)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        digests.add(result.stdout.strip())
    config = load_config(ROOT)
    files = build(parse(config.contracts, package=config.package), config)
    in_process = hashlib.sha256()
    for path, content in sorted(files.items()):
        in_process.update(path.encode() + b"\0" + content.encode() + b"\0")
    digests.add(in_process.hexdigest())
    assert len(digests) == 1


def test_the_committed_sdk_passes_mypy_strict() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "-p", "a4co_sdk"],
        cwd=ROOT / "generated",
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
