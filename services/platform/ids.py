"""Stable ids derived from natural keys, shared by the seed data, the CLI and the tests.

Decision 009 gives the seeded customers ids derived from their emails, so that `a4co seed`, `a4co auth
dev-token` and any test name the same customer without looking it up. One derivation, written once here:
UUID v5 in the URL namespace of the email as a `mailto:` URL, lower-cased and trimmed, so that
`Maria.Lopez@example.es ` and `maria.lopez@example.es` are one customer.
"""

from uuid import NAMESPACE_URL, UUID, uuid5

__all__ = ["SEEDED_CUSTOMER", "customer_id"]

SEEDED_CUSTOMER = "maria.lopez@example.es"
"""The repeat buyer of olive oil (decision 009): the default user of `a4co auth dev-token`."""


def customer_id(email: str) -> UUID:
    """The id of the customer with `email`: `uuid5(NAMESPACE_URL, "mailto:" + email.strip().lower())`."""
    normalised = email.strip().lower()
    if "@" not in normalised or normalised.startswith("@") or normalised.endswith("@"):
        raise ValueError(f"not an email address: {email!r}")
    return uuid5(NAMESPACE_URL, f"mailto:{normalised}")
