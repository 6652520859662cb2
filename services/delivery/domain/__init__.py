"""Delivery rules: which carrier, when and at what cost. Pure."""
