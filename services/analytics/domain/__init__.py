"""Rolling windows over per-minute buckets and the dashboard's figures. Pure."""
