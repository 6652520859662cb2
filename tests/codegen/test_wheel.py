"""The SDK as an integrator gets it: the wheel built from `generated/`, installed into a fresh virtualenv.

Nothing of this repository is on that interpreter's path, so a module that imports the services, the
codegen or a file missing from the wheel fails here.
"""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
UV = ROOT / ".tools" / "uv" / "bin" / "uv"

# Run inside the fresh virtualenv: every module imports, a model round-trips through JSON.
PROBE = """
import importlib, pkgutil, sys
import a4co_sdk
names = [m.name for m in pkgutil.walk_packages(a4co_sdk.__path__, "a4co_sdk.")]
for name in names:
    importlib.import_module(name)
assert not [p for p in sys.path if "/work/" in p and "site-packages" not in p], sys.path
from a4co_sdk.channels import ORDER_CREATED
from a4co_sdk.models.common import Money
assert ORDER_CREATED.address == "order.created.v1"
price = Money.model_validate_json(b'{"amount": "9.80", "currency": "EUR"}')
assert Money.model_validate_json(price.model_dump_json(by_alias=True)) == price
print(a4co_sdk.__version__, len(names))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    uv = str(UV) if UV.exists() else "uv"
    subprocess.run([uv, "build", "--wheel", "--quiet", str(ROOT / "generated"), "-o", str(out)], check=True)
    (built,) = out.glob("a4co_sdk-*.whl")
    return built


def test_the_wheel_holds_the_package_and_its_type_marker_only(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "a4co_sdk/py.typed" in names
    assert "a4co_sdk/_runtime/subscribing.py" in names
    assert not [n for n in names if "__pycache__" in n or n.startswith(("tests/", "services/", "codegen/"))]


def test_every_module_imports_in_a_fresh_virtualenv(wheel: Path, tmp_path: Path) -> None:
    uv = str(UV) if UV.exists() else "uv"
    venv = tmp_path / "venv"
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    extras = f"a4co-sdk[faststream,server,crypto,tracing] @ {wheel.as_uri()}"
    subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), extras], check=True
    )
    probe = subprocess.run(
        [str(venv / "bin" / "python"), "-I", "-c", PROBE],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    version, modules = probe.stdout.split()
    assert version == "1.0.0"
    assert int(modules) > 50
