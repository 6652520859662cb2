"""The seed: a realistic Jaén catalogue and the customers of decision 009, the same on every run."""

from collections import Counter
from decimal import Decimal

from a4co.seed.artisans import ARTISANS, onboarding_event
from a4co.seed.customers import CUSTOMERS, blocking_event, payment_method_events, registration_event
from a4co.seed.loader import seed_event_id
from a4co.seed.products import listing_events
from a4co.seed.towns import TOWNS
from services.artisan.domain.geo import haversine_km
from services.platform.ids import customer_id

REQUIRED_TOWNS = {
    "Úbeda", "Baeza", "Jaén", "Cazorla", "Bedmar", "Andújar", "Martos", "Alcalá la Real", "Linares", "Bailén",
    "Torredonjimeno", "Porcuna", "Quesada", "Villacarrillo", "Mancha Real", "Huelma", "Cambil", "Sabiote",
    "La Carolina", "Segura de la Sierra", "Arjona", "Alcaudete", "Jódar", "Beas de Segura", "Orcera",
    "Santisteban del Puerto", "Torreperogil", "Villanueva del Arzobispo",
}  # fmt: skip


def test_at_least_fifty_artisans_in_real_towns_of_the_province() -> None:
    assert len(ARTISANS) >= 50
    assert len({a.id for a in ARTISANS}) == len({a.slug for a in ARTISANS}) == len(ARTISANS)
    assert {a.town for a in ARTISANS} >= REQUIRED_TOWNS
    for index, seed in enumerate(ARTISANS):
        event = onboarding_event(seed, index)
        town = TOWNS[seed.town]
        location = event.business_info.location
        # Inside the province (36.9-38.6 N, 2.1-4.3 W), within a kilometre of its town's centre.
        assert 37.3 < location.latitude < 38.6
        assert -4.3 < location.longitude < -2.5
        assert haversine_km(town.latitude, town.longitude, location.latitude, location.longitude) < 1.0
        assert event.business_info.address is not None
        assert event.business_info.address.postal_code.startswith("23")


def test_over_five_hundred_products_across_the_six_categories() -> None:
    products = listing_events()
    assert len(products) >= 500
    assert len({p.product_id for p in products}) == len({p.sku for p in products}) == len(products)
    per_category = Counter(p.category.value for p in products)
    assert set(per_category) == {"olive-oil", "ceramics", "textiles", "wood", "leather", "food"}
    assert min(per_category.values()) >= 50
    assert all(Decimal("1.00") <= p.price.amount <= Decimal("250.00") for p in products)
    assert all(p.price.currency == "EUR" for p in products)
    assert 0 < sum(1 for p in products if p.initial_stock == 0) < len(products) // 5  # some sold out
    assert all(p.content.images and p.content.story for p in products)
    makers = {a.id for a in ARTISANS}
    assert {p.artisan_id for p in products} == makers  # every artisan sells, only artisans that exist


def test_the_seed_is_the_same_on_every_run() -> None:
    assert listing_events() == listing_events()
    assert [onboarding_event(a, i) for i, a in enumerate(ARTISANS)] == [
        onboarding_event(a, i) for i, a in enumerate(ARTISANS)
    ]
    assert seed_event_id("product-listed", "x") == seed_event_id("product-listed", "x")


def test_the_customers_of_decision_009() -> None:
    by_email = {c.email: c for c in CUSTOMERS}
    expected = {
        "maria.lopez@example.es": ("card", "4242424242424242"),
        "juan.martinez@example.es": ("card", "4000000000000002"),
        "lucia.garcia@example.es": ("bizum", "+34600000003"),
        "pedro.ruiz@example.es": ("card", "4000000000000259"),
    }
    for email, (kind, number) in expected.items():
        customer = by_email[email]
        assert customer.id == customer_id(email)
        assert (customer.methods[0].kind, customer.methods[0].number) == (kind, number)
        assert not customer.blocked
    blocked = by_email["bloqueado@example.es"]
    position = CUSTOMERS.index(blocked)
    event = blocking_event(blocked, position)
    assert event is not None
    assert event.user_id == customer_id("bloqueado@example.es")
    assert blocking_event(by_email["maria.lopez@example.es"], 0) is None


def test_fifty_more_customers_with_working_methods() -> None:
    generated = CUSTOMERS[5:]
    assert len(generated) == 50
    failing = {"4000000000000002", "4000000000009995", "4000000000000069", "4100000000000019", "+34600000002"}
    failing |= {"4000000000000259", "4000000000000341", "+34600000003"}
    for position, customer in enumerate(generated, start=5):
        registered = registration_event(customer, position)
        assert registered.user_id == customer_id(customer.email)
        methods = payment_method_events(customer, position)
        assert methods[0].is_default
        for added in methods:
            method = added.payment_method.root
            number = getattr(method, "card_number", None) or getattr(method, "phone_number", None)
            assert number not in failing
            if method.type == "card":
                assert _luhn(method.card_number)
            if method.type == "transfer":
                assert _iban_ok(method.iban)
    assert len({c.email for c in CUSTOMERS}) == len(CUSTOMERS)


def _luhn(number: str) -> bool:
    digits = [int(d) for d in reversed(number)]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return total % 10 == 0


def _iban_ok(iban: str) -> bool:
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1
