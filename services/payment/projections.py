"""The payment service's read models fed by contract streams, for the projection framework and the CLI.

Not listed here, and why:
- the payments view (`payment_view`, `adapters.payments_view`) is fed by the service's own event store
  through a private durable consumer (`payment-projection` on ES_PAYMENTS), which the framework cannot
  recreate from the contract. To rebuild it: stop the service, delete that consumer and the table's rows;
  the projector recreates the consumer and replays every payment on start.
- validation answers (`payment_method_validations`) record what the saga was told; a replay could answer
  differently (the profile or the velocity changed), so they are not a projection.
"""

from services.payment.adapters.vault import payment_methods
from services.payment.adapters.velocity import customer_orders
from services.platform.projections import Projection

__all__ = ["ORDER_VELOCITY", "PROJECTIONS", "VAULT"]

VAULT = Projection(
    name="payment-vault",
    service="payment",
    consumers=("payment-on-user-payment-method-added",),
    tables=(payment_methods,),
    description="Saved payment methods with their card and account data, encrypted at rest.",
)

ORDER_VELOCITY = Projection(
    name="payment-order-velocity",
    service="payment",
    consumers=("payment-on-order-created",),
    tables=(customer_orders,),
    description="Recent orders per customer (last 7 days), for the risk score of validations.",
)

PROJECTIONS = (VAULT, ORDER_VELOCITY)
