"""Adapters of the order service: event store, catalogue and saga-index projections, HTTP."""
