"""Use cases of the delivery service."""
