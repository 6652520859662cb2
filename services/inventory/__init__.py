"""The inventory service: stock per product, reservations for the order saga, replenishment, availability."""
