"""Use cases of the product service: projection handlers and queries."""
