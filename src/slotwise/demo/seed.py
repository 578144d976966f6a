"""The idempotent demo seed, written through the repositories of one unit of work.

Cities, recruiters and templates are matched by name/key, and slots are only created for
recruiters that have none yet, so running ``slotwise seed --demo`` twice changes nothing the
second time. Every entity is validated by its repository and the cache entries the seed makes
stale are invalidated after the commit, as for any other write.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from slotwise.demo.data import (
    CITIES,
    CITY_TEMPLATES,
    GLOBAL_TEMPLATES,
    demo_slots,
    new_recruiter,
    recruiter_names,
)
from slotwise.domain.models import City, Slot, Template
from slotwise.persistence.repository.base import MAX_LIMIT
from slotwise.repositories import SlotFilters, UnitOfWork
from slotwise.result import Error, Failure, NotFoundError, Result

T = TypeVar("T")


@dataclass(frozen=True)
class SeedReport:
    cities: int
    recruiters: int
    slots: int
    templates: int


class SeedFailed(Exception):
    """A repository refused part of the demo data; nothing was committed."""

    def __init__(self, error: Error) -> None:
        super().__init__(str(error))
        self.error = error


def _ok(result: Result[T, Error]) -> T:
    if isinstance(result, Failure):
        raise SeedFailed(result.error)
    return result.value


async def _every(fetch: Callable[[int, int], Awaitable[Result[Sequence[T], Error]]]) -> list[T]:
    """Every row a ``get_all(limit, offset)`` gives, page by page."""
    found: list[T] = []
    while True:
        page = _ok(await fetch(MAX_LIMIT, len(found)))
        found.extend(page)
        if len(page) < MAX_LIMIT:
            return found


async def _city(uow: UnitOfWork, name: str, timezone: str, made: Counter[str]) -> City:
    existing = await uow.cities.get_by_name(name)
    if isinstance(existing, Failure) and isinstance(existing.error, NotFoundError):
        made["cities"] += 1
        return _ok(await uow.cities.add(City(name=name, timezone=timezone, active=True)))
    return _ok(existing)


async def _templates(uow: UnitOfWork, cities: list[City], made: Counter[str]) -> None:
    have = {(t.city_id, t.key) for t in await _every(uow.templates.get_all)}
    by_name = {c.name: c.id for c in cities}
    wanted = [(None, key, text) for key, text in GLOBAL_TEMPLATES.items()] + [
        (by_name[city], key, text) for (city, key), text in CITY_TEMPLATES.items()
    ]
    for city_id, key, text in wanted:
        if (city_id, key) not in have:
            _ok(await uow.templates.add(Template(city_id=city_id, key=key, text=text)))
            made["templates"] += 1


async def _has_slots(uow: UnitOfWork, recruiter_id: int) -> bool:
    page = _ok(await uow.slots.list(SlotFilters(recruiter_id=recruiter_id), limit=1))
    return page.total > 0


async def seed_demo(
    *,
    recruiters: int = 20,
    days: int = 21,
    seed: int = 42,
    progress: Callable[[int], None] | None = None,
) -> SeedReport:
    """Create the demo data set; ``progress(n)`` is told about every recruiter done.
    Raises SeedFailed (and commits nothing) when a repository refuses a write."""
    rng = random.Random(seed)
    made: Counter[str] = Counter()
    async with UnitOfWork() as uow:
        cities = [await _city(uow, name, tz, made) for name, tz in CITIES]
        await _templates(uow, cities, made)
        known = {r.name: r for r in await _every(uow.recruiters.get_all)}
        first_day = datetime.now(UTC).date() + timedelta(days=1)
        slots: list[Slot] = []
        for index, name in enumerate(recruiter_names(recruiters)):
            recruiter = known.get(name)
            if recruiter is None:
                recruiter = _ok(await uow.recruiters.add(new_recruiter(index, name, cities)))
                made["recruiters"] += 1
                needs_slots = True
            else:
                needs_slots = not await _has_slots(uow, recruiter.id)
            if needs_slots:
                home = cities[index % len(cities)]
                slots.extend(demo_slots(recruiter, home, first_day, days, rng))
            if progress is not None:
                progress(1)
        if slots:
            _ok(await uow.slots.add_many(slots))
            made["slots"] = len(slots)
        _ok(await uow.try_commit())
    return SeedReport(made["cities"], made["recruiters"], made["slots"], made["templates"])
