"""Use cases of the loyalty service."""
