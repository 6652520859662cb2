"""Use cases of the payment service."""
