"""The notification service's read models, for the projection framework and `a4co projections`.

The contact directory's consumers also schedule welcomes. On a rebuild those find their notification
(same derived id) or have expired (older than their time to live), so a rebuild greets nobody twice.
`notification_orders` (order → customer) is not a projection: its consumer, `notification-service-orders`,
schedules the order notifications and starts from new messages only.
"""

from services.notification.adapters.tables import contacts
from services.platform.projections import Projection

__all__ = ["CONTACTS", "PROJECTIONS"]

CONTACTS = Projection(
    name="notification-contacts",
    service="notification",
    consumers=("notification-on-user-registered", "notification-on-artisan-onboarding-completed"),
    tables=(contacts,),
    description="Where customers and artisans are reached: email, phone and language.",
)

PROJECTIONS = (CONTACTS,)
