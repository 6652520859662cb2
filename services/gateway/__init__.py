"""The API gateway: the marketplace's only HTTP entry point (commands to JetStream, queries to services)."""
