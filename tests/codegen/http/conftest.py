"""The bike rental SDK, generated once per session from `fixtures/bikes`, and its service under uvicorn.

`bikes_build` generates the SDK (package `bikes_sdk`) into a temporary directory, copies the hand-written
implementation modules of `fixtures/` next to it and puts that directory first on `sys.path`.
`rental_server` serves `fixtures/rental_impl.py` with uvicorn on a free loopback port, in the test loop.
"""

import asyncio
import shutil
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from codegen.output import write
from codegen.parser import parse
from codegen.project import GeneratorConfig, build

FIXTURES = Path(__file__).parent / "fixtures"
PACKAGE = "bikes_sdk"


@pytest.fixture(scope="session")
def bikes_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("bikes")
    config = GeneratorConfig(PACKAGE, "bikes-sdk", FIXTURES / "bikes", out)
    write(build(parse(config.contracts, package=PACKAGE), config), out)
    for module in ("rental_impl.py", "rental_incomplete.py"):
        shutil.copy(FIXTURES / module, out / module)
    sys.path.insert(0, str(out))
    yield out
    sys.path.remove(str(out))
    for name in [m for m in sys.modules if m.startswith((PACKAGE, "rental_"))]:
        del sys.modules[name]


@dataclass
class RunningServer:
    url: str
    service: Any
    """The `RentalService` instance answering, to look at what its handlers received."""


@pytest.fixture(scope="session")
async def rental_server(bikes_build: Path) -> AsyncIterator[RunningServer]:
    import rental_impl  # noqa: PLC0415 - importable only once the SDK is generated
    from bikes_sdk.servers.rental import app  # noqa: PLC0415

    service = rental_impl.RentalService()
    application = app(service, authenticator=rental_impl.TokenAuthenticator())
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(application, lifespan="off", ws="none", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.005)
    yield RunningServer(f"http://127.0.0.1:{port}", service)
    server.should_exit = True
    await task
    sock.close()
