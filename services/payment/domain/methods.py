"""A payment method as the vault holds it, decrypted, and the checks that need nothing but its data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

__all__ = ["METHOD_TYPES", "StoredMethod", "luhn_valid"]

METHOD_TYPES = ("card", "bizum", "paypal", "transfer")


def luhn_valid(number: str) -> bool:
    """The Luhn check digit of a card number (ISO/IEC 7812); False for anything but 13-19 digits."""
    if not number.isdigit() or not 13 <= len(number) <= 19:
        return False
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


@dataclass(frozen=True, slots=True)
class StoredMethod:
    """A saved method with its card or account data in clear: only ever in this process's memory.

    Never a CVV: it is not stored after authorisation (PCI DSS), and the vault never receives one to keep.
    """

    payment_method_id: UUID
    owner_id: UUID
    type: str
    card_number: str | None = None
    expiry_month: int | None = None
    expiry_year: int | None = None
    holder_name: str | None = None
    brand: str | None = None
    last4: str | None = None
    phone_number: str | None = None
    email: str | None = None
    iban: str | None = None

    def expired(self, today: date) -> bool:
        """A card is valid through the last day of its expiry month; other methods do not expire."""
        if self.type != "card" or self.expiry_year is None or self.expiry_month is None:
            return False
        return (self.expiry_year, self.expiry_month) < (today.year, today.month)

    @property
    def label(self) -> str:
        """A masked description for events and logs: the only form a method takes outside the vault."""
        if self.type == "card":
            return f"{self.brand or 'card'} ···· {self.last4 or '????'}"
        if self.type == "bizum":
            return f"bizum ···· {(self.phone_number or '')[-4:]}"
        if self.type == "paypal":
            domain = (self.email or "@").rsplit("@", 1)[-1]
            return f"paypal ···@{domain}"
        return f"transfer ···· {(self.iban or '')[-4:]}"
