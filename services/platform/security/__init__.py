"""Security of the platform: who may call whom, and what a message may reveal to whom.

- `keys` / `secret_store`: RS256 key pairs per service (and auth's user-token key), created on first use
  in `.run/keys/` (`A4CO_KEYS_DIR`) behind a `SecretStore` port, exported as a JWK Set.
- `service_tokens`: the design document's service-to-service tokens, cached by the caller and checked
  against the operation's `x-a4co-callers` by the callee.
- `user_tokens`: auth's user tokens and their verification, with the contract's failure reasons.
- `authenticator`: the `Authenticator` the generated servers call (401 versus 403).
- `field_keys` / `field_cipher`: AES-256-GCM encryption of `x-a4co-sensitive` fields, the SDK's
  `FieldCipher`, with a keyring per classification.

Decisions and limits: docs/decisions/008-service-auth-and-field-encryption.md.
"""

from .authenticator import Principal, RequestAuthenticator, allowed_callers
from .field_cipher import (
    AesGcmFieldCipher,
    FieldCipherError,
    FieldDecryptionError,
    FieldKeyUnavailableError,
    readable_classifications,
)
from .field_keys import FieldKeyring, FieldKeyStore
from .jwks import JwksKeySource
from .keys import USER_TOKEN_KEY, KeyStore, KeyStoreError, PublicKeySource, SigningKey, VerificationKey
from .secret_store import DirectorySecretStore, SecretStore, keys_dir_from_env
from .service_tokens import ServicePrincipal, ServiceTokenIssuer, ServiceTokenVerifier
from .tokens import AUDIENCE, TokenFailure, TokenRejected
from .user_tokens import UserPrincipal, UserTokenIssuer, UserTokenVerifier

__all__ = [
    "AUDIENCE",
    "USER_TOKEN_KEY",
    "AesGcmFieldCipher",
    "DirectorySecretStore",
    "FieldCipherError",
    "FieldDecryptionError",
    "FieldKeyStore",
    "FieldKeyUnavailableError",
    "FieldKeyring",
    "JwksKeySource",
    "KeyStore",
    "KeyStoreError",
    "Principal",
    "PublicKeySource",
    "RequestAuthenticator",
    "SecretStore",
    "ServicePrincipal",
    "ServiceTokenIssuer",
    "ServiceTokenVerifier",
    "SigningKey",
    "TokenFailure",
    "TokenRejected",
    "UserPrincipal",
    "UserTokenIssuer",
    "UserTokenVerifier",
    "VerificationKey",
    "allowed_callers",
    "keys_dir_from_env",
    "readable_classifications",
]
