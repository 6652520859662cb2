"""Placeholder until codegen writes the SDK."""
