"""A unit of work that drops the changed users' cached profiles once it has committed.

Invalidating inside the transaction would race: a query could read the old rows after the invalidation
and before the commit, and cache them under the new generation. After the commit, a query that read the
old rows did so under the old generation, and its write is refused (see `ProfileCache`).
"""

import logging
from uuid import UUID

from services.platform.database import Database
from services.platform.outbox import OutboxRelay
from services.platform.unit_of_work import SqlUnitOfWork
from services.user.application.ports import ProfileCache, ProfileChanges

__all__ = ["ProfileUnitOfWork"]

log = logging.getLogger(__name__)


class ProfileUnitOfWork(SqlUnitOfWork, ProfileChanges):
    def __init__(self, db: Database, relay: OutboxRelay | None, cache: ProfileCache) -> None:
        super().__init__(db, relay)
        self._cache = cache
        self._changed: set[UUID] = set()

    def profile_changed(self, user_id: UUID) -> None:
        self._changed.add(user_id)

    async def _begin(self) -> None:
        self._changed = set()
        await super()._begin()

    async def _commit(self) -> None:
        await super()._commit()
        changed, self._changed = self._changed, set()
        await self._cache.invalidate(changed)

    async def _rollback(self) -> None:
        self._changed = set()
        await super()._rollback()
