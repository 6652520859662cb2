"""The vault: every payment method customers saved (`user.payment.method.added.v1`), one row per method.

The payment service is the one service allowed to keep card and account data, because it charges them.
It keeps what charging needs (card number, expiry, brand, last4, holder; Bizum phone; PayPal email; IBAN)
and never a CVV (PCI DSS: not stored after authorisation; the user service does not send one to keep).

At rest the sensitive columns are encrypted with the service's own field cipher (AES-256-GCM, the keys
of decision 008): card number and IBAN under `pci`, holder, phone and email under `pii`. The token binds
the table and column (associated data), so a value copied into another column or row of another kind does
not decrypt. A stolen database file or backup holds tokens, not card numbers; the keys live apart.
Brand, last4 and expiry stay in clear: they are not secret and the masked label is built from them.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Boolean, Column, Integer, Row, String, Table, Text, Uuid, select
from sqlalchemy.ext.asyncio import AsyncSession

from a4co_sdk.models import payment
from services.payment.application.ports import MethodVault
from services.payment.domain.methods import StoredMethod
from services.platform.database import Database, UtcDateTime, dialect_insert, metadata
from services.platform.security import AesGcmFieldCipher

__all__ = ["SqlVault", "find_method", "payment_methods", "save_method"]

log = logging.getLogger(__name__)

AT_REST = "payment.payment_vault"
"""The 'message' the at-rest tokens are bound to (the table), next to the column path."""

payment_methods = Table(
    "payment_vault",
    metadata,
    Column("payment_method_id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False, index=True),
    Column("type", String(16), nullable=False),
    Column("card_number", Text),
    Column("expiry_month", Integer),
    Column("expiry_year", Integer),
    Column("holder_name", Text),
    Column("brand", String(16)),
    Column("last4", String(4)),
    Column("phone_number", Text),
    Column("email", Text),
    Column("iban", Text),
    Column("is_default", Boolean, nullable=False),
    Column("added_at", UtcDateTime, nullable=False),
)

_SENSITIVE = {
    "card_number": "pci",
    "iban": "pci",
    "holder_name": "pii",
    "phone_number": "pii",
    "email": "pii",
}


def _seal(cipher: AesGcmFieldCipher, column: str, value: str | None) -> str | None:
    if value is None:
        return None
    return cipher.encrypt(value, path=(column,), classification=_SENSITIVE[column], message=AT_REST)


def _open(cipher: AesGcmFieldCipher, column: str, value: str | None) -> str | None:
    if value is None:
        return None
    return cipher.decrypt(value, path=(column,), classification=_SENSITIVE[column], message=AT_REST)


async def save_method(
    session: AsyncSession,
    cipher: AesGcmFieldCipher,
    *,
    user_id: UUID,
    method: payment.PaymentMethod,
    is_default: bool,
    added_at: datetime,
) -> bool:
    """Keep a saved method (encrypting its data); True when stored or updated.

    Adding the same method again (a redelivery, or the customer saving it again) updates its row. A method
    id already saved by another customer is refused (False) and logged: a method never changes owner.
    """
    root = method.root
    values: dict[str, object] = {
        "user_id": user_id,
        "type": root.type,
        "is_default": is_default,
        "added_at": added_at,
        "card_number": None,
        "expiry_month": None,
        "expiry_year": None,
        "holder_name": None,
        "brand": None,
        "last4": None,
        "phone_number": None,
        "email": None,
        "iban": None,
    }
    if isinstance(root, payment.CardPaymentMethod):
        values |= {
            "card_number": _seal(cipher, "card_number", root.card_number),
            "expiry_month": root.expiry_month,
            "expiry_year": root.expiry_year,
            "holder_name": _seal(cipher, "holder_name", root.holder_name),
            "brand": root.brand.value,
            "last4": root.last4,
        }  # root.cvv is deliberately dropped
    elif isinstance(root, payment.BizumPaymentMethod):
        values["phone_number"] = _seal(cipher, "phone_number", root.phone_number)
    elif isinstance(root, payment.PayPalPaymentMethod):
        values["email"] = _seal(cipher, "email", str(root.email))
    else:
        values |= {
            "iban": _seal(cipher, "iban", root.iban),
            "holder_name": _seal(cipher, "holder_name", root.holder_name),
        }
    method_id = root.payment_method_id
    owner = (
        await session.execute(
            select(payment_methods.c.user_id).where(payment_methods.c.payment_method_id == method_id)
        )
    ).scalar_one_or_none()
    if owner is not None and owner != user_id:
        log.error(
            "payment method %s of user %s was added again by user %s: refused", method_id, owner, user_id
        )
        return False
    if is_default:  # one default per customer
        await session.execute(
            payment_methods.update()
            .where(payment_methods.c.user_id == user_id, payment_methods.c.payment_method_id != method_id)
            .values(is_default=False)
        )
    statement = dialect_insert(session, payment_methods).values(payment_method_id=method_id, **values)
    await session.execute(
        statement.on_conflict_do_update(index_elements=[payment_methods.c.payment_method_id], set_=values)
    )
    return True


def _stored(cipher: AesGcmFieldCipher, r: Row[Any]) -> StoredMethod:
    return StoredMethod(
        payment_method_id=r.payment_method_id,
        owner_id=r.user_id,
        type=r.type,
        card_number=_open(cipher, "card_number", r.card_number),
        expiry_month=r.expiry_month,
        expiry_year=r.expiry_year,
        holder_name=_open(cipher, "holder_name", r.holder_name),
        brand=r.brand,
        last4=r.last4,
        phone_number=_open(cipher, "phone_number", r.phone_number),
        email=_open(cipher, "email", r.email),
        iban=_open(cipher, "iban", r.iban),
    )


async def find_method(
    session: AsyncSession, cipher: AesGcmFieldCipher, method_id: UUID
) -> StoredMethod | None:
    row = (
        await session.execute(select(payment_methods).where(payment_methods.c.payment_method_id == method_id))
    ).one_or_none()
    return None if row is None else _stored(cipher, row)


class SqlVault(MethodVault):
    """The vault port on the service's database (a short read-only transaction per lookup)."""

    def __init__(self, db: Database, cipher: AesGcmFieldCipher) -> None:
        self._db = db
        self._cipher = cipher

    async def method(self, payment_method_id: UUID) -> StoredMethod | None:
        async with self._db.transaction(read_only=True) as session:
            return await find_method(session, self._cipher, payment_method_id)
