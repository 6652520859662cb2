"""AES-256 keys for sensitive fields, one keyring per classification (`pii`, `pci`).

A keyring is what Tink calls a keyset: every key has an id that travels in the token, the newest key
(the primary) encrypts, and every key still in the ring decrypts, so a rotation never breaks a message
already in a stream. Keys live in the `SecretStore` of the KeyStore directory as
`field-<classification>-<nnnn>.key` (32 random bytes, base64, mode 0600).

Creation and rotation are race-free without locks: the next key id is created with the store's
exclusive `create`; when two processes race for the same id, both end up with the winner's key. A
process keeps encrypting with the primary it loaded until `reload()`; that is harmless because the
older key stays in the ring of every reader.

Crypto-shredding (`destroy`) overwrites a key with a tombstone (so its id is never reused): everything
encrypted under it becomes unreadable for good, in streams, snapshots, read models, backups and dead
letters alike. With keys per classification that erases a whole generation of data of that class, not
one person's; ADR 008 discusses per-subject keys. Overwriting a file is not erasure on every disk (SSDs,
journaling, backups of the key directory): a real shred needs a secret store that destroys keys.
"""

import base64
import binascii
import logging
import os
import re

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .secret_store import SecretStore

__all__ = ["FieldKeyStore", "FieldKeyring", "key_classification"]

logger = logging.getLogger(__name__)

_KEY_ID = re.compile(r"^(?P<classification>[a-z]+)-(?P<number>[0-9]{4,9})$")
_FILE = re.compile(r"^field-(?P<key_id>[a-z]+-[0-9]{4,9})\.key$")
_KEY_BYTES = 32
_DESTROYED = b"destroyed\n"


def key_classification(key_id: str) -> str | None:
    """The classification a key id belongs to (`pci-0002` -> `pci`); None when it is not a key id."""
    match = _KEY_ID.match(key_id)
    return match.group("classification") if match else None


def _file(key_id: str) -> str:
    return f"field-{key_id}.key"


class FieldKeyring:
    """The keys of one classification: the primary encrypts, every key decrypts."""

    def __init__(self, classification: str, keys: dict[str, AESGCM], primary: str) -> None:
        if primary not in keys:
            raise ValueError(f"the primary key {primary} is not in the ring")
        self.classification = classification
        self.primary = primary
        self._keys = keys

    def __repr__(self) -> str:
        return f"FieldKeyring({self.classification!r}, primary={self.primary!r}, keys={sorted(self._keys)})"

    @property
    def key_ids(self) -> list[str]:
        return sorted(self._keys)

    def get(self, key_id: str) -> AESGCM | None:
        return self._keys.get(key_id)

    def add(self, key_id: str, key: AESGCM) -> None:
        """Add a key for decryption (found after this ring was loaded); the primary stays."""
        self._keys[key_id] = key


class FieldKeyStore:
    """Field keys in a `SecretStore`; the first key of a classification is created on first use."""

    def __init__(self, secrets: SecretStore) -> None:
        self.secrets = secrets

    def keyring(self, classification: str) -> FieldKeyring:
        """Every key of `classification`, the newest as primary; creates one when there is no live newest."""
        self._check(classification)
        numbers = self._numbers(classification)
        newest = f"{classification}-{numbers[-1]:04d}" if numbers else None
        if newest is None or self.load(newest) is None:  # none yet, or the newest was destroyed
            # The id follows this listing: processes racing here all create the same id, and one wins.
            self._create(classification, (numbers[-1] if numbers else 0) + 1)
            numbers = self._numbers(classification)
        keys: dict[str, AESGCM] = {}
        for number in numbers:
            key_id = f"{classification}-{number:04d}"
            key = self.load(key_id)
            if key is not None:
                keys[key_id] = key
        return FieldKeyring(classification, keys, f"{classification}-{numbers[-1]:04d}")

    def rotate(self, classification: str) -> str:
        """Create a new primary key for `classification`; returns its id.

        Ciphers already running keep their primary until `AesGcmFieldCipher.reload()`; they decrypt
        values under the new key as soon as they meet one (they load it by id).
        """
        self._check(classification)
        numbers = self._numbers(classification)
        number = (numbers[-1] if numbers else 0) + 1
        self._create(classification, number)  # a rotation racing this one creates the same id: one key
        key_id = f"{classification}-{number:04d}"
        logger.info("new primary key for %s fields: %s", classification, key_id)
        return key_id

    def load(self, key_id: str) -> AESGCM | None:
        """One key by id (None when it does not exist or was destroyed)."""
        if key_classification(key_id) is None:
            return None
        data = self.secrets.read(_file(key_id))
        if data is None or data == _DESTROYED:
            return None
        try:
            raw = base64.b64decode(data.strip(), validate=True)
        except binascii.Error:
            raw = b""
        if len(raw) != _KEY_BYTES:
            raise ValueError(f"{_file(key_id)} does not hold a {_KEY_BYTES}-byte key")
        return AESGCM(raw)

    def destroy(self, key_id: str) -> None:
        """Crypto-shred: delete the key, making every value encrypted with it unreadable forever."""
        if key_classification(key_id) is None:
            raise ValueError(f"not a field key id: {key_id!r}")
        # A tombstone rather than no file: the id is never given to another key.
        self.secrets.replace(_file(key_id), _DESTROYED, private=True)
        logger.warning("destroyed field key %s: values encrypted with it can no longer be read", key_id)

    def _numbers(self, classification: str) -> list[int]:
        numbers = []
        for name in self.secrets.names():
            match = _FILE.match(name)
            if match and key_classification(match.group("key_id")) == classification:
                numbers.append(int(match.group("key_id").rpartition("-")[2]))
        return sorted(numbers)

    def _create(self, classification: str, number: int) -> None:
        encoded = base64.b64encode(os.urandom(_KEY_BYTES)) + b"\n"
        self.secrets.create(_file(f"{classification}-{number:04d}"), encoded, private=True)

    @staticmethod
    def _check(classification: str) -> None:
        if not re.fullmatch(r"[a-z]+", classification):
            raise ValueError(f"classifications are lowercase words, not {classification!r}")
