"""SQL tables and repositories, the Redis availability cache, timers and metrics of the inventory service."""
