"""Notification rules: channels, timing, expiry, grouping and the simulated providers' verdicts. Pure."""
