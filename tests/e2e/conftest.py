"""The whole marketplace for end-to-end tests: every service as a process, seeded through events.

Saga deadlines are short here (seconds, not minutes) so that timeouts and compensations happen within
a test; everything else is what `make run` runs.
"""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from a4co.devstack.marketplace import SERVICES
from a4co.seed.loader import load_seed
from services.platform.security import KeyStore
from tests.e2e.shop import Shop
from tests.services.harness import Running, running

SHORT_DEADLINES = {
    "A4CO_SAGA_STEP_SECONDS": "8",
    "A4CO_SAGA_PAYMENT_SECONDS": "4",
    "A4CO_SAGA_NOTIFY_SECONDS": "5",
    "A4CO_SAGA_DELIVERY_SECONDS": "10",
    "A4CO_SAGA_COMPENSATION_SECONDS": "8",
    "A4CO_SAGA_RESERVATION_HOLD_SECONDS": "60",
    "A4CO_RESTOCK_DELAY": "2",
    "A4CO_NOTIFICATION_GROUP_WINDOW": "2",
    "A4CO_NOTIFICATION_SEND_INTERVAL": "1",
    "A4CO_GATEWAY_RATE_LIMIT_USER": "100000/minute",
    "A4CO_GATEWAY_RATE_LIMIT_ADDRESS": "100000/minute",
}


@pytest.fixture(scope="module")
async def marketplace(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Running]:
    """One marketplace per test module; a module may change settings with a `MARKETPLACE_ENV` dict."""
    root = Path(tmp_path_factory.mktemp("marketplace"))
    env = SHORT_DEADLINES | getattr(request.module, "MARKETPLACE_ENV", {})
    async with running(root, *SERVICES, env=env) as market:
        await load_seed(market.js, KeyStore(root / "keys"))
        yield market


@pytest.fixture(scope="module")
async def shop(marketplace: Running) -> AsyncIterator[Shop]:
    async with Shop(marketplace) as ready:
        await ready.wait_until_seeded()
        yield ready
