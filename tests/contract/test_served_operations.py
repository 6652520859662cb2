"""Each service serves exactly the operations of its OpenAPI document: no more, no less (issue #5, §4).

The service is built in this process by its own composition root (`services/<name>/bootstrap.py`
`build`) on a runtime opened the way the runner opens it (`services.platform.runner.opened`), so the app
looked at is the app `python -m services.<name>` serves. Its Starlette routes (method and path; HEAD
aside where GET is served, as every ASGI server answers it) are compared with the operations schemathesis
reads from the document, which does not go through our code generator.

What this cannot see: a middleware that answers a path itself instead of passing it to the routes.
"""

import importlib
import re
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from starlette.routing import Mount, Route

from a4co.devstack.marketplace import SERVICES
from services.platform.runner import Service, opened
from services.platform.settings import Settings

pytestmark = [pytest.mark.integration]

CONTRACTS = Path(__file__).parents[2] / "contracts" / "openapi"
_PARAMETER = re.compile(r"\{[^{}]*\}")

Operation = tuple[str, str]
"""(method, path), path parameters written `{}` whatever their names."""


def _operation(method: str, path: str) -> Operation:
    return method.upper(), _PARAMETER.sub("{}", path)


def documented(service: str) -> set[Operation]:
    schema = schemathesis.openapi.from_path(CONTRACTS / f"{service}.yaml")
    return {_operation(result.ok().method, result.ok().path) for result in schema.get_all_operations()}


def served(app: Any, prefix: str = "") -> set[Operation]:
    """The operations an ASGI app routes: Starlette routes and mounts, through wrappers that have `.app`."""
    routes = getattr(app, "routes", None)
    if routes is None:
        inner = getattr(app, "app", None)
        if inner is None:
            raise TypeError(f"cannot tell which routes {app!r} serves")
        return served(inner, prefix)
    operations: set[Operation] = set()
    for route in routes:
        if isinstance(route, Mount):
            operations |= served(route, prefix + route.path)
        elif isinstance(route, Route):
            methods = set(route.methods or {"any method"})
            if "GET" in methods:
                methods.discard("HEAD")
            operations |= {_operation(method, prefix + route.path) for method in methods}
        else:
            raise TypeError(f"cannot tell what {route!r} serves")
    return operations


def test_every_service_has_a_document_and_every_document_a_service() -> None:
    documents = {path.stem for path in CONTRACTS.glob("*.yaml")} - {"components"}
    assert documents == set(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
async def test_the_service_serves_exactly_the_operations_of_its_document(
    service: str, nats_url: str, redis_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        service=service,
        nats_url=nats_url,
        redis_url=redis_url,
        database_url=f"sqlite+aiosqlite:///{tmp_path / service}.db",
        http_host="127.0.0.1",
        http_port=0,
        run_dir=tmp_path,
        keys_dir=tmp_path / "keys",
        peers=dict.fromkeys(SERVICES, "http://127.0.0.1:9"),  # nothing is called while building
    )
    bootstrap = importlib.import_module(f"services.{service}.bootstrap")
    async with opened(settings) as runtime:
        built: Service = await bootstrap.build(runtime)
        try:
            routes = served(built.app)
        finally:
            for stop in built.on_stop:
                await stop()
    contract = documented(service)
    assert routes == contract, (
        f"served but not in contracts/openapi/{service}.yaml: {sorted(routes - contract)}; "
        f"in the document but not served: {sorted(contract - routes)}"
    )
