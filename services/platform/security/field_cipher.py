"""AES-256-GCM encryption of the contract's sensitive fields: the SDK's `FieldCipher`.

The publisher replaces each `x-a4co-sensitive` string with a token, and the subscriber turns it back
before validating the message (docs/decisions/005-sensitive-fields.md):

    enc:v1:<key id>:<base64url(nonce || ciphertext || tag)>

- the nonce is 96 random bits per value, never a counter: processes share keys without coordination,
  and the birthday bound (about 2^32 values per key) is what `FieldKeyStore.rotate` is for;
- the associated data binds the token to where it belongs: version, key id, message name,
  classification and path. A token copied into another field or another message fails authentication
  like a tampered one. What it does not bind: the message instance (a value can be copied between two
  messages of the same kind) and the array index behind a `*` in the path;
- the key id says which key of the classification's keyring opens it, so rotation needs no re-encryption.

Access: a cipher holds the keyrings of the classifications its service may read, nothing else. With
AES, reading and writing a class need the same key, so a publisher of `pci` fields can also read them;
publish-only access would need public-key (hybrid) encryption, noted in ADR 008.

Every failure is a `FieldCipherError`, a ValueError: the SDK's dispatcher reports a message it cannot
decrypt as `undecodable` (a dead letter) instead of crashing, and a publisher refuses to send.
"""

import base64
import binascii
import os
from collections.abc import Iterable, Mapping

import orjson
from cryptography.exceptions import InvalidTag

from .field_keys import FieldKeyring, FieldKeyStore, key_classification
from .keys import KeyStore
from .secret_store import SecretStore

__all__ = [
    "DEFAULT_READERS",
    "TOKEN_PREFIX",
    "AesGcmFieldCipher",
    "FieldCipherError",
    "FieldDecryptionError",
    "FieldKeyUnavailableError",
    "readable_classifications",
]

TOKEN_PREFIX = "enc:v1:"  # noqa: S105 - a format marker, not a secret
_NONCE_BYTES = 12
_TAG_BYTES = 16
_AAD_CACHE = 4096

DEFAULT_READERS: Mapping[str, frozenset[str] | None] = {
    "pii": None,
    "pci": frozenset({"payment", "user"}),
}
"""Which services hold each classification's keys; None: every service.

`payment` charges cards; `user` publishes `PaymentMethodAdded` with the card a customer saves, and with
AES it cannot encrypt without being able to decrypt. Every other service reads `pii` only.
"""


class FieldCipherError(ValueError):
    """A sensitive field cannot be encrypted or decrypted."""


class FieldKeyUnavailableError(FieldCipherError):
    """This service holds no key for the value's classification, or the key id is unknown."""


class FieldDecryptionError(FieldCipherError):
    """The token is not ours, was altered, or belongs to another field or message."""


def readable_classifications(
    service: str, readers: Mapping[str, frozenset[str] | None] = DEFAULT_READERS
) -> frozenset[str]:
    """The classifications `service` may read under `readers`."""
    return frozenset(c for c, allowed in readers.items() if allowed is None or service in allowed)


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if "=" in text or "+" in text or "/" in text:
        raise binascii.Error("not unpadded base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class AesGcmFieldCipher:
    """Encrypts and decrypts sensitive string values with the keyrings it was given."""

    def __init__(
        self,
        keyrings: Iterable[FieldKeyring],
        *,
        store: FieldKeyStore | None = None,
        service: str = "this service",
    ) -> None:
        """`store`, when given, is asked for a key id this cipher has not loaded (a newer rotation)."""
        self._rings = {ring.classification: ring for ring in keyrings}
        self.store = store
        self.service = service
        self._aad: dict[tuple[str, str, str, tuple[str, ...]], bytes] = {}

    @classmethod
    def for_service(
        cls,
        service: str,
        keys: KeyStore | FieldKeyStore | SecretStore,
        *,
        classifications: Iterable[str] | None = None,
    ) -> "AesGcmFieldCipher":
        """The cipher of `service`: the keyrings of `classifications` (default `DEFAULT_READERS`'s)."""
        if isinstance(keys, KeyStore):
            store = FieldKeyStore(keys.secrets)
        elif isinstance(keys, FieldKeyStore):
            store = keys
        else:
            store = FieldKeyStore(keys)
        wanted = readable_classifications(service) if classifications is None else frozenset(classifications)
        return cls([store.keyring(c) for c in sorted(wanted)], store=store, service=service)

    @property
    def classifications(self) -> frozenset[str]:
        return frozenset(self._rings)

    def keyring(self, classification: str) -> FieldKeyring:
        return self._ring(classification)

    def reload(self) -> None:
        """Read the keyrings again: encrypt with a primary another process rotated to."""
        if self.store is not None:
            self._rings = {c: self.store.keyring(c) for c in self._rings}

    def encrypt(self, value: str, *, path: tuple[str, ...], classification: str, message: str) -> str:
        ring = self._ring(classification)
        key = ring.get(ring.primary)
        assert key is not None  # FieldKeyring keeps its primary
        nonce = os.urandom(_NONCE_BYTES)
        sealed = key.encrypt(
            nonce, value.encode(), self._associated(ring.primary, message, classification, path)
        )
        return f"{TOKEN_PREFIX}{ring.primary}:{_b64encode(nonce + sealed)}"

    def decrypt(self, value: str, *, path: tuple[str, ...], classification: str, message: str) -> str:
        where = f"{message}.{'.'.join(path)}"
        if not value.startswith(TOKEN_PREFIX):
            raise FieldDecryptionError(f"{where} ({classification}) is not an {TOKEN_PREFIX} token")
        key_id, separator, encoded = value[len(TOKEN_PREFIX) :].partition(":")
        if not separator or key_classification(key_id) is None:
            raise FieldDecryptionError(f"{where}: the token has no valid key id")
        ring = self._ring(classification)
        if key_classification(key_id) != classification:
            raise FieldDecryptionError(f"{where}: key {key_id} is not a {classification} key")
        key = ring.get(key_id)
        if key is None and self.store is not None:
            key = self.store.load(key_id)
            if key is not None:
                ring.add(key_id, key)
        if key is None:
            raise FieldKeyUnavailableError(f"{where}: {classification} key {key_id} is unknown or destroyed")
        try:
            blob = _b64decode(encoded)
        except (binascii.Error, ValueError):
            raise FieldDecryptionError(f"{where}: the token is not base64url") from None
        if len(blob) < _NONCE_BYTES + _TAG_BYTES:
            raise FieldDecryptionError(f"{where}: the token is too short")
        nonce, sealed = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
        try:
            plain = key.decrypt(nonce, sealed, self._associated(key_id, message, classification, path))
        except InvalidTag:
            raise FieldDecryptionError(
                f"{where}: authentication failed (altered, or moved from another field or message)"
            ) from None
        try:
            return plain.decode()
        except UnicodeDecodeError:
            raise FieldDecryptionError(f"{where}: the value is not UTF-8") from None

    def _ring(self, classification: str) -> FieldKeyring:
        ring = self._rings.get(classification)
        if ring is None:
            held = ", ".join(sorted(self._rings)) or "none"
            raise FieldKeyUnavailableError(
                f"{self.service} holds no key for {classification} fields (it holds: {held})"
            )
        return ring

    def _associated(self, key_id: str, message: str, classification: str, path: tuple[str, ...]) -> bytes:
        """The associated data: a JSON array, so that no two contexts encode alike."""
        cache_key = (key_id, message, classification, path)
        aad = self._aad.get(cache_key)
        if aad is None:
            aad = orjson.dumps(["a4co-field", "v1", key_id, message, classification, list(path)])
            if len(self._aad) < _AAD_CACHE:
                self._aad[cache_key] = aad
        return aad
