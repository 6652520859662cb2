"""The inventory service's read model, for the projection framework and `a4co projections`."""

from services.inventory.adapters.tables import availability
from services.platform.projections import Projection

__all__ = ["AVAILABILITY", "PROJECTIONS"]

AVAILABILITY = Projection(
    name="inventory-availability",
    service="inventory",
    consumers=("inventory-availability-projection",),
    tables=(availability,),
    description=(
        "Each product's stock level (on hand, reserved, available, version) for GET "
        "/api/inventory/availability/{productId}. INVENTORY keeps 7 days; the daily stock report gives "
        "a replay every product's level (decision 004)."
    ),
)

PROJECTIONS = (AVAILABILITY,)
