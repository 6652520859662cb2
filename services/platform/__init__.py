"""The platform every A4CO service is built on.

Shared infrastructure, one small module per concern, so a service only wires its domain to it:
SQL persistence with an inbox and a transactional outbox (`database`, `inbox`, `outbox`,
`unit_of_work`, `batching`), the event store, security, and the service runner with its
consumers and HTTP side. Services depend on this package; it depends on no service.
"""
