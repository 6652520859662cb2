"""The analytics service: real-time business figures over rolling windows, computed from the streams."""
