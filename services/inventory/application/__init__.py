"""Use cases of the inventory service: handlers, the ports they need, the availability query."""
