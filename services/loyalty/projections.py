"""The loyalty service has no projection to rebuild.

Its ledger (`loyalty_order_points`, `loyalty_accounts`) is fed by `loyalty-on-order-created` and
`loyalty-on-order-state-changed`, but it is not a read model: those handlers publish
`loyalty.points.earned.v1`, so a replay would announce points again, and ORDERS keeps only 30 days, so a
replay could not rebuild balances older than that. The balances live here and in the LOYALTY stream.
"""

from services.platform.projections import Projection

__all__ = ["PROJECTIONS"]

PROJECTIONS: tuple[Projection, ...] = ()
