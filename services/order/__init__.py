"""The order service: orders, their fulfilment saga (OrderFulfillmentSagaV2) and pricing."""
