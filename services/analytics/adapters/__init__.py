"""Tables and the repository of per-minute buckets, orders, sessions and names."""
