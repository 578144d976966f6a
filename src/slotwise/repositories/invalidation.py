"""``CacheInvalidator``: invalidation by entity for what the decorators cannot see."""

from __future__ import annotations

from slotwise.cache.decorators import schedule_invalidation
from slotwise.cache.scope import CacheScope
from slotwise.repositories.cache_keys import CacheKeys


class CacheInvalidator:
    """Invalidation for what the decorators cannot see (scripts, bulk SQL, admin tools).

    Each method takes an optional unit of work: given one, the invalidation waits for its
    commit; without one it happens now.
    """

    async def invalidate_recruiter(self, recruiter_id: int, uow: CacheScope | None = None) -> None:
        """The recruiter, recruiter lists, and the slots and slot lists that embed it."""
        await self._run(uow, *CacheKeys.recruiter_changed(recruiter_id))

    async def invalidate_city(self, city_id: int, uow: CacheScope | None = None) -> None:
        """The city and everything that embeds it (recruiters' cities, slots' city)."""
        await self._run(
            uow,
            CacheKeys.city(city_id),
            "cities:*",
            "recruiter:*",
            "recruiters:*",
            "slot:*",
            "slots:*",
        )

    async def invalidate_slot(
        self, slot_id: int, recruiter_id: int | None = None, uow: CacheScope | None = None
    ) -> None:
        """The slot and its recruiter's slot lists (every slot list when unknown)."""
        await self._run(uow, *CacheKeys.slot_changed(slot_id, [recruiter_id]))

    async def invalidate_templates(self, uow: CacheScope | None = None) -> None:
        """Every template list and resolution (a global template changes every city's)."""
        await self._run(uow, "templates:*")

    async def invalidate_user(
        self,
        telegram_id: int | None = None,
        user_id: int | None = None,
        uow: CacheScope | None = None,
    ) -> None:
        targets = [CacheKeys.user_by_telegram(telegram_id)] if telegram_id is not None else []
        if user_id is not None:
            targets.append(CacheKeys.user(user_id))
        await self._run(uow, *(targets or ["user:*"]))

    async def invalidate_pattern(self, pattern: str, uow: CacheScope | None = None) -> None:
        await self._run(uow, pattern)

    async def invalidate_all(self, uow: CacheScope | None = None) -> None:
        await self._run(uow, "*")

    @staticmethod
    async def _run(uow: CacheScope | None, *targets: str) -> None:
        await schedule_invalidation(uow, targets)
