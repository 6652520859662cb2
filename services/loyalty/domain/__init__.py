"""Loyalty rules: points per order, balances and tiers. Pure."""
