"""The user service's read models, for the projection framework and `a4co projections`.

The segmentation state (`user_segmentations`, `user_segment_signals`) is not a projection: its handlers
publish `user.segment.changed`, so replaying them would announce changes again.
"""

from services.platform.projections import Projection
from services.user.adapters.tables import blocks, customers, payment_methods

__all__ = ["PROFILES", "PROJECTIONS"]

PROFILES = Projection(
    name="user-profiles",
    service="user",
    consumers=("user-profiles-projection",),
    tables=(customers, blocks, payment_methods),
    description="Customers, their blocks and masked payment methods: the payment and chat profiles.",
)

PROJECTIONS = (PROFILES,)
