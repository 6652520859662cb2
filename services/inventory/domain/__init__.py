"""Inventory rules: stock levels, reservations, thresholds, demand and replenishment. Pure: no I/O, time
is passed in."""
