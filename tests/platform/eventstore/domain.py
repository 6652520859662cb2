"""A small order aggregate for the event store tests."""

from typing import Any, ClassVar

from services.platform.eventstore import Aggregate, DomainEvent, when


class OrderError(Exception):
    pass


class Order(Aggregate):
    aggregate_type = "order"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.status = "new"
        self.customer: str | None = None
        self.items: list[dict[str, Any]] = []

    def place(self, customer: str) -> None:
        if self.status != "new":
            raise OrderError(f"order {self.id} is {self.status}")
        self._trigger("OrderPlaced", {"customer": customer})

    def add_item(self, sku: str, quantity: int) -> None:
        if self.status != "placed":
            raise OrderError(f"order {self.id} is {self.status}")
        self._trigger("ItemAdded", {"sku": sku, "quantity": quantity})

    def confirm(self) -> None:
        if not self.items:
            raise OrderError("nothing to confirm")
        self._trigger("OrderConfirmed", {})

    @when("OrderPlaced")
    def _when_placed(self, event: DomainEvent) -> None:
        self.status = "placed"
        self.customer = event.data["customer"]

    @when("ItemAdded")
    def _when_item_added(self, event: DomainEvent) -> None:
        self.items.append(dict(event.data))

    @when("OrderConfirmed")
    def _when_confirmed(self, event: DomainEvent) -> None:
        self.status = "confirmed"


class OrderV2(Order):
    """The same order one release later: OrderPlaced v2 carries the customer as an object."""

    event_versions: ClassVar = {"OrderPlaced": 2}

    def place(self, customer: str) -> None:
        self._trigger("OrderPlaced", {"customer": {"id": customer, "segment": "retail"}})

    @when("OrderPlaced")
    def _when_placed(self, event: DomainEvent) -> None:
        self.status = "placed"
        self.customer = event.data["customer"]["id"]
        self.segment = event.data["customer"]["segment"]


def upcast_order_placed_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "customer": {"id": data["customer"], "segment": "unknown"}}


UPCASTERS = {("OrderPlaced", 1): upcast_order_placed_v1_v2}
