"""The payment service's tables on SQLite (a file per test) and PostgreSQL (a schema per test, when
A4CO_TEST_POSTGRES_URL is set, see tests/platform/sql/conftest.py), and the payment service's cipher."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.payment import bootstrap  # noqa: F401 - registers every table of the service
from services.platform.database import Database
from services.platform.security import AesGcmFieldCipher, KeyStore
from tests.platform.sql.conftest import BACKENDS, open_database


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with open_database(request.param, tmp_path) as database:
        yield database


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    return KeyStore(tmp_path_factory.mktemp("payment-keys"))


@pytest.fixture(scope="session")
def cipher(keys: KeyStore) -> AesGcmFieldCipher:
    return AesGcmFieldCipher.for_service("payment", keys)
