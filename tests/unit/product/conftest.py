"""The catalogue read model on each database backend (PostgreSQL when A4CO_TEST_POSTGRES_URL is set)."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.platform.database import Database
from services.product.adapters import tables  # noqa: F401 - registers the catalogue's tables
from tests.platform.sql.conftest import BACKENDS, open_database


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with open_database(request.param, tmp_path) as database:
        yield database
