"""One key directory per session (RSA key generation takes tens of milliseconds per key).

Tests that rotate, retire or destroy keys make their own directory with `fresh_keystore`.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from services.platform.security import USER_TOKEN_KEY, KeyStore


@pytest.fixture(scope="session")
def keystore(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    store = KeyStore(tmp_path_factory.mktemp("keys"), now=lambda: datetime(2026, 11, 20, tzinfo=UTC))
    for name in ("gateway", "order", "payment", "auth", USER_TOKEN_KEY):
        store.signing_key(name)
    return store


@pytest.fixture
def fresh_keystore(tmp_path: Path) -> Callable[..., KeyStore]:
    def make(**options: Any) -> KeyStore:
        return KeyStore(tmp_path / "keys", **options)

    return make
