"""Use cases of the analytics service: projection handlers, the dashboard and housekeeping."""
