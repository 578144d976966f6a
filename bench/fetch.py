"""Scenarios 1 (repository level) and 3: a database fetch vs a cache hit, in one process.

Both variants call the same repository method inside a fresh read-only UnitOfWork, as a
service would; the "database" variant calls the method beneath the ``@cached`` decorator
(``__wrapped__``), so the only difference is the cache. Scenario 3 is the document's
"repeated reads": n reads of one recruiter, all from the database vs 1 miss + (n - 1) hits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bench import cache_control
from bench.stats import compare, interleaved
from slotwise.persistence import db
from slotwise.repositories import RecruiterRepository, SlotRepository, UnitOfWork
from slotwise.result import Success

Call = Callable[[], Awaitable[None]]

REPOSITORIES: dict[str, type[Any]] = {"recruiters": RecruiterRepository, "slots": SlotRepository}


def _fetchers(engine: AsyncEngine, repo_name: str, ident: int) -> dict[str, Call]:
    factory = db.build_session_factory(engine)
    raw = cache_control.uncached(REPOSITORIES[repo_name].get)

    async def database() -> None:
        async with UnitOfWork(factory, read_only=True) as uow:
            _expect(await raw(getattr(uow, repo_name), ident))

    async def cache_hit() -> None:
        async with UnitOfWork(factory, read_only=True) as uow:
            _expect(await getattr(uow, repo_name).get(ident))

    return {"database": database, "cache_hit": cache_hit}


def _expect(result: object) -> None:
    if not isinstance(result, Success):
        raise RuntimeError(f"benchmark read failed: {result!r}")


async def single_fetch(
    engine: AsyncEngine,
    *,
    recruiter_id: int,
    slot_id: int,
    rounds: int,
    calls: int,
    tick: Callable[[], None],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label, repo, ident in (
        ("recruiter", "recruiters", recruiter_id),
        ("slot", "slots", slot_id),
    ):
        variants = _fetchers(engine, repo, ident)
        samples = await interleaved(variants, rounds=rounds, calls_per_round=calls, on_round=tick)
        out[label] = compare(samples, baseline="database")
        out[label]["call"] = f"uow.{repo}.get(id) in a read-only UnitOfWork"
    return out


async def repeated_reads(
    engine: AsyncEngine,
    *,
    recruiter_id: int,
    reads: int,
    rounds: int,
    tick: Callable[[], None],
) -> dict[str, Any]:
    fetch = _fetchers(engine, "recruiters", recruiter_id)

    async def all_database() -> None:
        for _ in range(reads):
            await fetch["database"]()

    async def miss_then_hits() -> None:
        await cache_control.invalidate_recruiter(recruiter_id)
        for _ in range(reads):
            await fetch["cache_hit"]()

    samples = await interleaved(
        {"database_every_read": all_database, "one_miss_then_hits": miss_then_hits},
        rounds=rounds,
        calls_per_round=1,
        on_round=tick,
    )
    out = compare(samples, baseline="database_every_read")
    out["unit"] = f"us per sequence of {reads} reads"
    out["reads"] = reads
    return out
