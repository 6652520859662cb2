"""RS256 signing keys: one key pair per service, plus the key auth signs user tokens with.

Layout of the key directory (a `SecretStore`):

    <name>.key.pem      the current private key of `<name>` (PKCS#8, 0600)
    <kid>.pub.pem       every public key that may still verify tokens (SubjectPublicKeyInfo, 0644)

Both files start with a `kid: <kid>` line (RFC 7468 explanatory text, ignored by PEM readers such as
openssl), so the key id is stored with the key and created in the same atomic step.

Key ids follow the contract (`JsonWebKey.kid` in contracts/openapi/auth.yaml): `<name>-<year>-<month>`
of the rotation that created the key, for example `payment-2026-11`. The owner of a key is therefore
readable from the kid alone, which is what lets a verifier tie a token's `iss` to the key that signed
it, and lets a JWKS consumer (who sees only kids) do the same. The RFC 7638 thumbprint is computed too
(`VerificationKey.thumbprint`) to tell two copies of a key apart; the contract's pattern rules it out as
the kid. The price of dated kids: a name can get at most one new key per month (`rotate` refuses a
second one rather than publish two keys under one kid).

A verifier reads public keys only, by kid, through `PublicKeySource`: `KeyStore` (the shared directory)
or `JwksKeySource` (a JWK Set fetched from the auth service).
"""

import base64
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .secret_store import DirectorySecretStore, SecretStore, keys_dir_from_env

__all__ = [
    "USER_TOKEN_KEY",
    "KeyStore",
    "KeyStoreError",
    "PublicKeySource",
    "SigningKey",
    "VerificationKey",
    "jwk_of",
    "key_owner",
    "public_key_from_jwk",
]

logger = logging.getLogger(__name__)

USER_TOKEN_KEY = "auth-users"  # noqa: S105 - the name of a key, not a key
"""The name of the key auth signs user tokens with; distinct from auth's own service key."""

_OWNER = re.compile(r"^[a-z]+(-[a-z]+)*$")
_KID = re.compile(r"^(?P<owner>[a-z]+(?:-[a-z]+)*)-[0-9]{4}-(?:0[1-9]|1[0-2])$")
_MIN_KEY_SIZE = 2048
_PRIVATE_SUFFIX = ".key.pem"
_PUBLIC_SUFFIX = ".pub.pem"
_CACHE_SECONDS = 300.0


class KeyStoreError(Exception):
    """A key file is unreadable or contradicts another, or a rotation is not possible."""


def key_owner(kid: str) -> str | None:
    """The name a key id belongs to (`payment-2026-11` -> `payment`); None when it is not a valid kid."""
    match = _KID.match(kid)
    return match.group("owner") if match else None


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _uint_b64url(text: str) -> int:
    if not re.fullmatch(r"[A-Za-z0-9_-]+", text):
        raise ValueError("not base64url")
    return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")


def jwk_of(kid: str, public_key: rsa.RSAPublicKey) -> dict[str, str]:
    """The RFC 7517 JWK of an RSA verification key, as the contract's `JsonWebKey` has it."""
    numbers = public_key.public_numbers()
    return {
        "kty": "RSA",
        "kid": kid,
        "use": "sig",
        "alg": "RS256",
        "n": _b64url_uint(numbers.n),
        "e": _b64url_uint(numbers.e),
    }


def public_key_from_jwk(jwk: object) -> tuple[str, rsa.RSAPublicKey]:
    """(kid, key) of a JWK that can verify RS256 tokens; ValueError for anything else."""
    if not isinstance(jwk, dict):
        raise TypeError("a JWK is a JSON object")
    kid, n, e = jwk.get("kid"), jwk.get("n"), jwk.get("e")
    if jwk.get("kty") != "RSA" or jwk.get("alg", "RS256") != "RS256" or jwk.get("use", "sig") != "sig":
        raise ValueError(f"not an RS256 signing key: kty={jwk.get('kty')!r} alg={jwk.get('alg')!r}")
    if not isinstance(kid, str) or key_owner(kid) is None:
        raise ValueError(f"kid {kid!r} is not <name>-<year>-<month>")
    if not isinstance(n, str) or not isinstance(e, str):
        raise TypeError("n and e must be base64url strings")
    key = rsa.RSAPublicNumbers(_uint_b64url(e), _uint_b64url(n)).public_key()
    if key.key_size < _MIN_KEY_SIZE:
        raise ValueError(f"{kid}: {key.key_size}-bit keys are too short")
    return kid, key


@dataclass(frozen=True, slots=True)
class VerificationKey:
    """A public key that verifies the tokens of `owner` (the name in its kid)."""

    kid: str
    owner: str
    public_key: rsa.RSAPublicKey = field(repr=False)

    def jwk(self) -> dict[str, str]:
        return jwk_of(self.kid, self.public_key)

    @property
    def thumbprint(self) -> str:
        """RFC 7638 JWK thumbprint (SHA-256): the same for every copy of the key, whatever its kid."""
        jwk = self.jwk()
        canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"))
        digest = hashlib.sha256(canonical.encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class SigningKey:
    """The current private key of a name, with its kid."""

    kid: str
    owner: str
    private_key: rsa.RSAPrivateKey = field(repr=False)

    def verification_key(self) -> VerificationKey:
        return VerificationKey(self.kid, self.owner, self.private_key.public_key())


class PublicKeySource(Protocol):
    """Where verifiers find public keys by kid (kept in memory: the hot path must not do I/O)."""

    def verification_key(self, kid: str) -> VerificationKey | None:
        """The key named `kid`, or None when there is none (the token then fails as `unknown_key`)."""
        ...

    async def refresh(self, *, missing: str | None = None) -> bool:
        """Reload if the keys are stale, or (with `missing`) if that kid might have appeared since.

        Returns whether anything changed; implementations rate-limit reloads.
        """
        ...


def _pem_with_kid(kid: str, pem: bytes) -> bytes:
    return f"kid: {kid}\n".encode() + pem


def _split_kid(data: bytes, what: str) -> tuple[str, bytes]:
    text, begin, pem = data.partition(b"-----BEGIN ")
    kid = None
    for line in text.decode("ascii", "replace").splitlines():
        label, _, value = line.partition(":")
        if label.strip() == "kid":
            kid = value.strip()
    if not begin or kid is None or key_owner(kid) is None:
        raise KeyStoreError(f"{what} is not a PEM key with a 'kid: <name>-<year>-<month>' line")
    return kid, begin + pem


class KeyStore:
    """The RS256 keys of the marketplace in a `SecretStore`; creates a name's key pair on first use.

    Signing keys and verification keys are cached for five minutes, so a key rotated by another process
    is picked up without a restart; the hot path reads the store only for a kid it has not seen.
    Retire a rotated key no sooner than five minutes (this cache) plus the longest token lifetime.
    """

    def __init__(
        self,
        secrets: SecretStore | Path | str | None = None,
        *,
        key_size: int = 2048,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if secrets is None:
            secrets = keys_dir_from_env()
        self.secrets: SecretStore = (
            DirectorySecretStore(secrets) if isinstance(secrets, Path | str) else secrets
        )
        if key_size < _MIN_KEY_SIZE:
            raise ValueError(f"RS256 keys need at least {_MIN_KEY_SIZE} bits")
        self.key_size = key_size
        self._now = now
        self._signing: dict[str, tuple[SigningKey, float]] = {}
        self._public: dict[str, tuple[VerificationKey, float]] = {}

    @classmethod
    def from_env(cls) -> "KeyStore":
        """The store in `A4CO_KEYS_DIR` (default `.run/keys/`)."""
        return cls(keys_dir_from_env())

    # -- signing -----------------------------------------------------------------------------------------

    def signing_key(self, name: str) -> SigningKey:
        """The current private key of `name`, created (with its public key) the first time."""
        cached = self._signing.get(name)
        if cached is not None and time.monotonic() - cached[1] < _CACHE_SECONDS:
            return cached[0]
        if not _OWNER.match(name):
            raise ValueError(f"key names are lowercase words joined by '-', not {name!r}")
        data = self.secrets.read(name + _PRIVATE_SUFFIX)
        if data is None:
            data = self.secrets.create(name + _PRIVATE_SUFFIX, self._new_private_pem(name), private=True)
        key = self._load_private(name, data)
        self._publish(key.verification_key())
        self._signing[name] = (key, time.monotonic())
        return key

    def rotate(self, name: str) -> SigningKey:
        """Give `name` a new key pair; the previous public key keeps verifying until `retire(kid)`.

        The public key is published before the private key replaces the old one, so no token is ever
        signed by a key verifiers cannot find; a rotation racing another one loses on the public key
        (same kid, another key) and fails before touching the private key.
        """
        current = self.signing_key(name)
        kid = self._kid_for(name)
        if kid == current.kid:
            raise KeyStoreError(
                f"{name} already got a key this month ({kid}); the contract's kid format "
                "(<name>-<year>-<month>) allows one key per name and month"
            )
        data = self._new_private_pem(name)
        new = self._load_private(name, data)
        self._publish(new.verification_key())
        self.secrets.replace(name + _PRIVATE_SUFFIX, data, private=True)
        self._signing[name] = (new, time.monotonic())
        logger.info("rotated the signing key of %s: %s -> %s", name, current.kid, new.kid)
        return new

    def retire(self, kid: str) -> None:
        """Stop trusting a public key (once every token it signed has expired, or at once if leaked)."""
        if key_owner(kid) is None:
            raise ValueError(f"not a kid: {kid!r}")
        owner = key_owner(kid)
        private = self.secrets.read(f"{owner}{_PRIVATE_SUFFIX}")
        if private is not None and _split_kid(private, f"{owner}{_PRIVATE_SUFFIX}")[0] == kid:
            raise KeyStoreError(f"{kid} is the current key of {owner}; rotate it first")
        self.secrets.delete(kid + _PUBLIC_SUFFIX)
        self._public.pop(kid, None)

    # -- verification ------------------------------------------------------------------------------------

    def verification_key(self, kid: str) -> VerificationKey | None:
        cached = self._public.get(kid)
        if cached is not None and time.monotonic() - cached[1] < _CACHE_SECONDS:
            return cached[0]
        if key_owner(kid) is None:  # never let a token header name a file
            return None
        data = self.secrets.read(kid + _PUBLIC_SUFFIX)
        if data is None:
            self._public.pop(kid, None)
            return None
        key = self._load_public(kid, data)
        self._public[kid] = (key, time.monotonic())
        return key

    async def refresh(self, *, missing: str | None = None) -> bool:  # noqa: ARG002 - the protocol's
        """Nothing to do: a kid missing from the cache is looked up in the store directly."""
        return False

    def verification_keys(self, owners: Collection[str] | None = None) -> list[VerificationKey]:
        """Every public key in the store (of `owners` only, when given), newest kid first per owner."""
        keys = []
        for name in self.secrets.names():
            kid = name.removesuffix(_PUBLIC_SUFFIX)
            if kid == name or key_owner(kid) is None:
                continue
            if owners is not None and key_owner(kid) not in owners:
                continue
            key = self.verification_key(kid)
            if key is not None:
                keys.append(key)
        return sorted(keys, key=lambda k: (k.owner, k.kid.removeprefix(k.owner)), reverse=True)

    def jwks(self, owners: Collection[str] | None = None) -> dict[str, list[dict[str, str]]]:
        """The RFC 7517 JWK Set of `verification_keys(owners)`.

        auth's `GET /.well-known/jwks.json` publishes `jwks([USER_TOKEN_KEY])`.
        """
        return {"keys": [key.jwk() for key in self.verification_keys(owners)]}

    # -- files -------------------------------------------------------------------------------------------

    def _kid_for(self, name: str) -> str:
        now = self._now()
        return f"{name}-{now.year:04d}-{now.month:02d}"

    def _new_private_pem(self, name: str) -> bytes:
        kid = self._kid_for(name)
        key = rsa.generate_private_key(public_exponent=65537, key_size=self.key_size)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return _pem_with_kid(kid, pem)

    def _load_private(self, name: str, data: bytes) -> SigningKey:
        kid, pem = _split_kid(data, name + _PRIVATE_SUFFIX)
        if key_owner(kid) != name:
            raise KeyStoreError(f"{name}{_PRIVATE_SUFFIX} holds the key {kid} of another name")
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except ValueError as exc:
            raise KeyStoreError(f"{name}{_PRIVATE_SUFFIX} is not a readable private key: {exc}") from None
        if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < _MIN_KEY_SIZE:
            raise KeyStoreError(f"{name}{_PRIVATE_SUFFIX} is not an RSA key of {_MIN_KEY_SIZE}+ bits")
        return SigningKey(kid, name, key)

    def _load_public(self, kid: str, data: bytes) -> VerificationKey:
        stored_kid, pem = _split_kid(data, kid + _PUBLIC_SUFFIX)
        if stored_kid != kid:
            raise KeyStoreError(f"{kid}{_PUBLIC_SUFFIX} says it holds {stored_kid}")
        try:
            key = serialization.load_pem_public_key(pem)
        except ValueError as exc:
            raise KeyStoreError(f"{kid}{_PUBLIC_SUFFIX} is not a readable public key: {exc}") from None
        if not isinstance(key, rsa.RSAPublicKey) or key.key_size < _MIN_KEY_SIZE:
            raise KeyStoreError(f"{kid}{_PUBLIC_SUFFIX} is not an RSA key of {_MIN_KEY_SIZE}+ bits")
        owner = key_owner(kid)
        assert owner is not None  # _split_kid checked the kid
        return VerificationKey(kid, owner, key)

    def _publish(self, key: VerificationKey) -> None:
        """Write `<kid>.pub.pem` unless it is there; a different key under the same kid is an error."""
        pem = key.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        ours = _pem_with_kid(key.kid, pem)
        stored = self.secrets.read(key.kid + _PUBLIC_SUFFIX)
        if stored is None:
            stored = self.secrets.create(key.kid + _PUBLIC_SUFFIX, ours, private=False)
        if stored != ours:
            raise KeyStoreError(
                f"{key.kid}{_PUBLIC_SUFFIX} holds another key than {key.owner}{_PRIVATE_SUFFIX}: "
                "two keys were created under one kid"
            )
