"""The seeded customers of decision 009, and fifty more with working payment methods, as user events.

Ids come from the customers' emails (`services.platform.ids.customer_id`), payment method ids from the
email and the method's position, so every run publishes the same events. The payment outcome of each
method is the simulated processor's (decision 009): the named customers reach every saga path on purpose.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from a4co_sdk.models import common, payment, user
from services.platform.ids import customer_id

from .towns import PROVINCE, TOWNS

__all__ = ["BLOCKED_REASON", "CUSTOMERS", "SeedCustomer", "SeedMethod", "payment_method_id"]

REGISTERED_FROM = datetime(2026, 9, 15, 9, 0, tzinfo=UTC)
EXPIRY_YEAR = 2030
BLOCKED_REASON = "Cuenta bloqueada por el equipo de fraude tras contracargos repetidos."


@dataclass(frozen=True, slots=True)
class SeedMethod:
    kind: str  # card | bizum | paypal | transfer
    number: str = ""  # card number, Bizum phone, PayPal email or IBAN
    brand: str = "visa"


@dataclass(frozen=True, slots=True)
class SeedCustomer:
    email: str
    full_name: str
    phone: str
    town: str
    street: str
    methods: tuple[SeedMethod, ...]
    blocked: bool = False
    marketing: bool = True
    note: str = ""
    segments: tuple[str, ...] = field(default=())

    @property
    def id(self) -> UUID:
        return customer_id(self.email)


def payment_method_id(email: str, position: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"https://a4co.example/customers/{email.strip().lower()}/methods/{position}")


def _iban(bank_account: str) -> str:
    """A Spanish IBAN with correct check digits for a 20-digit account number."""
    digits = bank_account + "142800"  # "ES" -> 14 28, then "00"
    check = 98 - int(digits) % 97
    return f"ES{check:02d}{bank_account}"


NAMED = (
    SeedCustomer(
        "maria.lopez@example.es",
        "María López Martínez",
        "+34611222333",
        "Jaén",
        "Calle Virgen de la Capilla 7, 3º B",
        (SeedMethod("card", "4242424242424242", "visa"),),
        note="repeat buyer of olive oil",
    ),
    SeedCustomer(
        "juan.martinez@example.es",
        "Juan Martínez Ruiz",
        "+34622333444",
        "Úbeda",
        "Calle Obispo Cobos 12",
        (SeedMethod("card", "4000000000000002", "visa"),),
        note="declining card",
    ),
    SeedCustomer(
        "lucia.garcia@example.es",
        "Lucía García Moreno",
        "+34633444555",
        "Linares",
        "Calle Cánovas del Castillo 25",
        (SeedMethod("bizum", "+34600000003"),),
        note="Bizum with insufficient funds",
    ),
    SeedCustomer(
        "pedro.ruiz@example.es",
        "Pedro Ruiz Castillo",
        "+34644555666",
        "Baeza",
        "Paseo de la Constitución 4",
        (SeedMethod("card", "4000000000000259", "visa"),),
        note="card whose processor never answers",
    ),
    SeedCustomer(
        "bloqueado@example.es",
        "Cliente Bloqueado",
        "+34655666777",
        "Andújar",
        "Calle Ollerías 2",
        (SeedMethod("card", "4242424242424242", "visa"),),
        blocked=True,
        marketing=False,
        note="blocked customer",
    ),
)

FIRST_NAMES = (
    "Antonio",
    "Carmen",
    "Manuel",
    "Isabel",
    "Francisco",
    "Dolores",
    "José",
    "Ana",
    "Rafael",
    "Pilar",
    "Juan Carlos",
    "Rocío",
    "Miguel",
    "Encarnación",
    "Alejandro",
    "Inmaculada",
    "Javier",
    "Mercedes",
    "David",
    "Rosario",
    "Sergio",
    "Teresa",
    "Pablo",
    "Elena",
    "Daniel",
)
LAST_NAMES = (
    "Jiménez",
    "Moreno",
    "Muñoz",
    "Ortega",
    "Cruz",
    "Castro",
    "Molina",
    "Torres",
    "Navarro",
    "Serrano",
    "Lara",
    "Rubio",
    "Medina",
    "Gallego",
    "Vílchez",
    "Expósito",
    "Cobo",
    "Chica",
    "Anguita",
    "Quesada",
)
GENERATED_TOWNS = (
    "Jaén",
    "Úbeda",
    "Baeza",
    "Linares",
    "Andújar",
    "Martos",
    "Alcalá la Real",
    "Cazorla",
    "Bailén",
)


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    return plain.replace(" ", "")


def _generated(count: int = 50) -> tuple[SeedCustomer, ...]:
    """Customers for load: every method works (visa and mastercard test cards, Bizum, PayPal, transfer)."""
    customers = []
    for n in range(count):
        first = FIRST_NAMES[n % len(FIRST_NAMES)]
        last1 = LAST_NAMES[n % len(LAST_NAMES)]
        last2 = LAST_NAMES[(n * 7 + 3) % len(LAST_NAMES)]
        email = f"{_ascii(first)}.{_ascii(last1)}{n + 1:02d}@example.es"
        kind = n % 5
        method = (
            SeedMethod("card", "4242424242424242", "visa"),
            SeedMethod("card", "5555555555554444", "mastercard"),
            SeedMethod("bizum", f"+346{10000000 + n * 7919:08d}"),
            SeedMethod("paypal", email),
            SeedMethod("transfer", _iban(f"2103{n:04d}{n * 37 % 100:02d}{1000000000 + n * 104729:010d}")),
        )[kind]
        extra = (SeedMethod("card", "5555555555554444", "mastercard"),) if n % 4 == 0 and kind != 1 else ()
        customers.append(
            SeedCustomer(
                email=email,
                full_name=f"{first} {last1} {last2}",
                phone=f"+3466{n:07d}",
                town=GENERATED_TOWNS[n % len(GENERATED_TOWNS)],
                street=f"Calle {('Real', 'Nueva', 'Ancha', 'Mayor', 'del Carmen')[n % 5]} {n + 1}",
                methods=(method, *extra),
                marketing=n % 3 != 0,
            )
        )
    return tuple(customers)


CUSTOMERS: tuple[SeedCustomer, ...] = NAMED + _generated()


def address(customer: SeedCustomer) -> common.Address:
    town = TOWNS[customer.town]
    return common.Address(
        recipient_name=customer.full_name,
        street=customer.street,
        postal_code=town.postal_code,
        city=customer.town,
        province=PROVINCE,
        country="ES",
        phone=customer.phone,
        location=common.GeoPoint(latitude=town.latitude, longitude=town.longitude),
    )


def registered_at(position: int) -> datetime:
    return REGISTERED_FROM + timedelta(hours=3 * position)


def registration_event(customer: SeedCustomer, position: int) -> user.UserRegistered:
    return user.UserRegistered(
        user_id=customer.id,
        email=customer.email,
        full_name=customer.full_name,
        phone=customer.phone,
        preferred_language=user.PreferredLanguage.ES,
        default_address=address(customer),
        marketing_consent=customer.marketing,
        registered_at=registered_at(position),
    )


def _method(customer: SeedCustomer, position: int, method: SeedMethod) -> payment.PaymentMethod:
    method_id = payment_method_id(customer.email, position)
    if method.kind == "card":
        return payment.PaymentMethod(
            payment.CardPaymentMethod(
                type="card",
                payment_method_id=method_id,
                card_number=method.number,
                expiry_month=12,
                expiry_year=EXPIRY_YEAR,
                holder_name=customer.full_name.upper(),
                brand=payment.Brand(method.brand),
                last4=method.number[-4:],
            )
        )
    if method.kind == "bizum":
        return payment.PaymentMethod(
            payment.BizumPaymentMethod(type="bizum", payment_method_id=method_id, phone_number=method.number)
        )
    if method.kind == "paypal":
        return payment.PaymentMethod(
            payment.PayPalPaymentMethod(type="paypal", payment_method_id=method_id, email=method.number)
        )
    return payment.PaymentMethod(
        payment.BankTransferPaymentMethod(
            type="transfer", payment_method_id=method_id, iban=method.number, holder_name=customer.full_name
        )
    )


def payment_method_events(customer: SeedCustomer, position: int) -> list[user.PaymentMethodAdded]:
    added = registered_at(position) + timedelta(minutes=5)
    return [
        user.PaymentMethodAdded(
            user_id=customer.id,
            payment_method=_method(customer, n, method),
            is_default=n == 0,
            added_at=added + timedelta(minutes=n),
        )
        for n, method in enumerate(customer.methods)
    ]


def blocking_event(customer: SeedCustomer, position: int) -> user.UserBlocked | None:
    if not customer.blocked:
        return None
    return user.UserBlocked(
        user_id=customer.id, reason=BLOCKED_REASON, blocked_at=registered_at(position) + timedelta(days=20)
    )
