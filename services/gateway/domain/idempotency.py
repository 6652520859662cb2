"""Idempotency keys of `POST /api/orders`: one answer per customer and key, for 24 hours.

A key is claimed before the command is published and completed with the answer once JetStream stored
it. A request that finds the key claimed is a replay (same body, answered with the stored answer), a
reuse (another body: 409), or concurrent with the first (still in progress: 409, retry later).
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.gateway.domain.errors import IdempotencyKeyReused

__all__ = ["KeyRecord", "replayed_answer"]


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """What the gateway remembers about a key: the body it came with and, once accepted, the answer."""

    fingerprint: str
    order_id: UUID
    accepted_at: datetime | None = None

    @property
    def completed(self) -> bool:
        return self.accepted_at is not None


def replayed_answer(record: KeyRecord, fingerprint: str, key: str) -> KeyRecord:
    """The stored answer for a repeated request; raises `IdempotencyKeyReused` when there is none to give."""
    if record.fingerprint != fingerprint:
        when = f" at {record.accepted_at:%H:%M}" if record.accepted_at is not None else ""
        raise IdempotencyKeyReused(f"Idempotency-Key {key} was used{when} for a different order.")
    if not record.completed:
        raise IdempotencyKeyReused(
            f"A request with Idempotency-Key {key} is still being processed; retry in 1 second."
        )
    return record
