"""The availability query behind `GET /api/inventory/availability/{productId}` (SLA 100 ms).

Cache first; on a miss, the read model's row, which then goes into the cache. The projection keeps the
cache current (see `handlers.project_levels`), so a hit is as fresh as the read model.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

from services.inventory.application.ports import Availability, AvailabilityCache

__all__ = ["AvailabilityQuery"]


class AvailabilityQuery:
    def __init__(
        self, cache: AvailabilityCache, read: Callable[[UUID], Awaitable[Availability | None]]
    ) -> None:
        self._cache = cache
        self._read = read

    async def __call__(self, product_id: UUID) -> Availability | None:
        cached = await self._cache.get(product_id)
        if cached is not None:
            return cached
        found = await self._read(product_id)
        if found is not None:
            await self._cache.put(found)
        return found
