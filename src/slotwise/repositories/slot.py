"""Slots, always returned with their recruiter and city loaded (the API shows both).

The many-to-one relations are joined in the same statement, so a list of any length costs
one SELECT (plus one COUNT for pagination).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from slotwise.cache.decorators import cached, invalidate_cache, schedule_invalidation
from slotwise.cache.keys import CacheTTL, ValueDeps
from slotwise.domain.models import ACTIVE_STATUSES, Slot, SlotStatus
from slotwise.persistence.repository.base import BaseRepository, Page
from slotwise.repositories.cache_keys import CacheKeys
from slotwise.repositories.optimized_queries import OptimizedQueries
from slotwise.repositories.refresh import refresh_after_commit
from slotwise.result import Error, Result, Success, ValidationError, failure


@dataclass(frozen=True, slots=True)
class SlotFilters:
    recruiter_id: int | None = None
    city_id: int | None = None
    status: SlotStatus | None = None
    start_from: datetime | None = None
    start_to: datetime | None = None


def _aware(name: str, value: datetime | None) -> ValidationError | None:
    if value is not None and value.tzinfo is None:
        return ValidationError(name, "must include a timezone offset (naive datetime)", value)
    return None


def _embedded_recruiters(value: Any) -> set[str]:
    """The dep keys of the recruiters a cached slot (or list or page of slots) embeds."""
    items = getattr(value, "items", value)
    slots = items if isinstance(items, Sequence) else [items]
    return {CacheKeys.recruiter_dep(s.recruiter_id) for s in slots if isinstance(s, Slot)}


#: A slot entry shows its recruiter: it goes when that recruiter changes, and only then.
SLOT_RECRUITER = ValueDeps(CacheKeys.RECRUITER_DEPS, _embedded_recruiters)


def list_key(filters: SlotFilters | None = None, limit: int = 100, offset: int = 0) -> str:
    """The cache key of one page of ``SlotRepository.list`` (views of the page extend it)."""
    f = filters or SlotFilters()
    return CacheKeys.slots_list(
        f.recruiter_id, f.city_id, f.status, f.start_from, f.start_to, limit, offset
    )


def _list_key(
    self: object, filters: SlotFilters | None = None, limit: int = 100, offset: int = 0
) -> str:
    return list_key(filters, limit, offset)


def _previous_recruiter(slot: Slot) -> int | None:
    """The recruiter the slot belonged to before its unflushed change (None if unchanged)."""
    history = inspect(slot).attrs.recruiter_id.history
    return next((old for old in history.deleted if old is not None), None)


class SlotRepository(BaseRepository[Slot]):
    # The same loads as OptimizedQueries.slots_with_relations(): a list is one statement.
    load_options = OptimizedQueries.slot_load_options()

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(Slot, session)

    # Reads below are cached; writes invalidate what they change after commit.
    @cached(
        key_builder=lambda self, id: CacheKeys.slot(id),
        ttl=CacheTTL.SHORT,
        depends_on=SLOT_RECRUITER,
    )
    async def get(self, id: int) -> Result[Slot, Error]:
        return await super().get(id)

    # add/update invalidate the slot and the lists of its recruiter (old and new when it
    # moved), not other recruiters' lists; after commit when inside a unit of work.
    async def add(self, entity: Slot) -> Result[Slot, Error]:
        added = await super().add(entity)
        if isinstance(added, Success):
            targets = CacheKeys.slot_changed(entity.id, [entity.recruiter_id])
            await schedule_invalidation(self.session, targets)
        return added

    async def add_many(self, entities: Sequence[Slot]) -> Result[Sequence[Slot], Error]:
        """Many new slots in one flush; one invalidation, after commit, of the lists of every
        recruiter they belong to. Not of the slots' own keys: a new id has nothing cached
        (failures are never cached), and a bulk load would otherwise leave a version counter
        in Redis per row."""
        added = await super().add_many(entities)
        if isinstance(added, Success):
            recruiters = sorted({slot.recruiter_id for slot in added.value})
            await schedule_invalidation(self.session, CacheKeys.slot_changed(None, recruiters))
        return added

    async def update(self, entity: Slot) -> Result[Slot, Error]:
        previous = _previous_recruiter(entity)  # before the flush clears the history
        saved = await super().update(entity)
        if isinstance(saved, Success):
            recruiters = [saved.value.recruiter_id, *([previous] if previous is not None else [])]
            targets = CacheKeys.slot_changed(saved.value.id, recruiters)
            await schedule_invalidation(self.session, targets)
            await refresh_after_commit(self.session, type(self), saved.value.id)
        return saved

    # Only the id is known after the delete: every free-slot list goes.
    @invalidate_cache("slot:{arg1}", "slots:*")
    async def delete(self, id: int) -> Result[bool, Error]:
        return await super().delete(id)

    @cached(
        key_builder=lambda self, recruiter_id, after: CacheKeys.slots_free_for_recruiter(
            recruiter_id, after
        ),
        ttl=CacheTTL.SHORT,
    )
    async def get_free_for_recruiter(
        self, recruiter_id: int, after: datetime
    ) -> Result[Sequence[Slot], Error]:
        """The recruiter's free slots starting at or after ``after``, soonest first."""
        if (bad := _aware("after", after)) is not None:
            return failure(bad)
        stmt = (
            self._select()
            .where(
                Slot.recruiter_id == recruiter_id,
                Slot.status == SlotStatus.FREE,
                Slot.start_utc >= after,
            )
            .order_by(Slot.start_utc, Slot.id)
        )
        return await self._scalars("get_free_for_recruiter", stmt)

    async def get_upcoming_for_candidate(
        self, telegram_id: int, after: datetime
    ) -> Result[Sequence[Slot], Error]:
        """The candidate's active (pending, booked, confirmed) slots from ``after`` on."""
        if (bad := _aware("after", after)) is not None:
            return failure(bad)
        stmt = (
            self._select()
            .where(
                Slot.candidate_telegram_id == telegram_id,
                Slot.status.in_([s.value for s in ACTIVE_STATUSES]),
                Slot.start_utc >= after,
            )
            .order_by(Slot.start_utc, Slot.id)
        )
        return await self._scalars("get_upcoming_for_candidate", stmt)

    @cached(key_builder=_list_key, ttl=CacheTTL.SHORT)
    async def list(
        self, filters: SlotFilters | None = None, limit: int = 100, offset: int = 0
    ) -> Result[Page[Slot], Error]:
        """A page of slots matching ``filters``, ordered by start_utc then id."""
        filters = filters or SlotFilters()
        for name in ("start_from", "start_to"):
            if (bad := _aware(name, getattr(filters, name))) is not None:
                return failure(bad)
        stmt = self._select()
        if filters.recruiter_id is not None:
            stmt = stmt.where(Slot.recruiter_id == filters.recruiter_id)
        if filters.city_id is not None:
            stmt = stmt.where(Slot.city_id == filters.city_id)
        if filters.status is not None:
            if filters.status not in tuple(SlotStatus):
                known = ", ".join(SlotStatus)
                return failure(ValidationError("status", f"must be one of {known}", filters.status))
            stmt = stmt.where(Slot.status == SlotStatus(filters.status))
        if filters.start_from is not None:
            stmt = stmt.where(Slot.start_utc >= filters.start_from)
        if filters.start_to is not None:
            stmt = stmt.where(Slot.start_utc < filters.start_to)
        return await self._page("list", stmt.order_by(Slot.start_utc, Slot.id), limit, offset)

    async def get_for_update(self, id: int) -> Result[Slot, Error]:
        """The slot, row-locked until the transaction ends (PostgreSQL; SQLite's writers are
        serialised by BEGIN IMMEDIATE), with its fields refreshed from the database."""
        stmt = (
            self._select()
            .where(Slot.id == id)
            .with_for_update(of=Slot)
            .execution_options(populate_existing=True)
        )
        return await self._one("get_for_update", stmt, id)

    async def lock_many(self, ids: Sequence[int]) -> Result[Sequence[Slot], Error]:
        """Row-lock several slots in id order (a fixed order cannot deadlock)."""
        stmt = (
            self._select()
            .where(Slot.id.in_(sorted(set(ids))))
            .order_by(Slot.id)
            .with_for_update(of=Slot)
            .execution_options(populate_existing=True)
        )
        return await self._scalars("lock_many", stmt)

    async def lock_for_recruiter(self, recruiter_id: int) -> Result[Sequence[int], Error]:
        """Row-lock every slot of a recruiter (in id order) and return their ids: a delete of the
        recruiter that checks for bookings first cannot race a booking made at the same time."""
        stmt = (
            select(Slot.id)
            .where(Slot.recruiter_id == recruiter_id)
            .order_by(Slot.id)
            .with_for_update()
        )

        async def work() -> Sequence[int]:
            return (await self.session.scalars(stmt)).all()

        return await self._run("lock_for_recruiter", work)

    async def overlapping(
        self, recruiter_id: int, start: datetime, end: datetime, exclude_id: int | None = None
    ) -> Result[Sequence[Slot], Error]:
        """Non-canceled slots of the recruiter that overlap [start, end)."""
        stmt = select(Slot).where(
            Slot.recruiter_id == recruiter_id,
            Slot.status != SlotStatus.CANCELED,
            Slot.start_utc < end,
            Slot.end_utc > start,
        )
        if exclude_id is not None:
            stmt = stmt.where(Slot.id != exclude_id)
        return await self._scalars("overlapping", stmt)
