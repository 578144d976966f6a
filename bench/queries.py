"""Benchmark of the query optimizations (issue 6): scenario 2 of ``python3 dev.py bench``.

Two comparisons, each run side by side in interleaved rounds in one process:

1. A list of 100 slots with recruiter and city: the lazy N+1 (one ``session.get`` per row
   and relation, which is what lazy loading does: the identity map spares repeated rows)
   vs ``selectinload`` vs ``joinedload`` vs ``BatchLoader``; and, reported apart under
   ``per_row_n_plus_one``, the document's worst case (a SELECT per row and relation, no
   identity map help). Statements and time.
2. 1,000 slots by id: one ``session.get`` per id vs ``BatchLoader.load_many``.

Every variant opens its own session, so nothing is served from a previous variant's identity
map. Returns plain dicts (``stats.compare`` shape plus ``statements``).

Standalone: ``python -m bench.queries`` measures the database of DATABASE_URL
(it must hold data, e.g. after ``slotwise seed --demo``) and prints the figures as JSON.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bench.stats import compare, interleaved
from slotwise.domain.models import City, Recruiter, Slot
from slotwise.persistence import db
from slotwise.queries.counter import install_query_recorder, query_scope
from slotwise.queries.optimization import BatchLoader, QueryOptimizer

LIST_SIZE = 100
BATCH_SIZE = 1000
Variant = Callable[[], Awaitable[int]]
PER_ROW = "per_row_n_plus_one"


def _page() -> Select[tuple[Slot]]:
    # Ordered by time: the first 100 slots belong to many recruiters (the realistic case).
    return select(Slot).order_by(Slot.start_utc, Slot.id).limit(LIST_SIZE)


def _touch(slots: list[Slot]) -> int:
    """Read every relation the API shows (fails if one was not loaded)."""
    return sum(1 for s in slots if s.recruiter.name and (s.city is None or s.city.name))


def list_variants(engine: AsyncEngine) -> dict[str, Variant]:
    factory = db.build_session_factory(engine)

    async def n_plus_one() -> int:
        async with factory() as session:
            slots = list((await session.scalars(_page())).all())
            loaded: list[object] = []  # held like slot.recruiter would hold them
            for slot in slots:  # the loop an ORM user writes without eager loading
                recruiter = await session.get(Recruiter, slot.recruiter_id)
                city = await session.get(City, slot.city_id) if slot.city_id else None
                loaded += [recruiter, city]
            return sum(1 for r in loaded[::2] if r is not None)

    async def per_row() -> int:
        async with factory() as session:
            slots = list((await session.scalars(_page())).all())
            shown = 0
            for slot in slots:  # a query per row and relation, as the document counts it
                stmt = select(Recruiter).where(Recruiter.id == slot.recruiter_id)
                recruiter = (await session.execute(stmt)).scalar_one()
                city = None
                if slot.city_id:
                    city_stmt = select(City).where(City.id == slot.city_id)
                    city = (await session.execute(city_stmt)).scalar_one()
                shown += bool(recruiter.name and (city is None or city.name))
            return shown

    async def eager(stmt: Select[tuple[Slot]]) -> int:
        async with factory() as session:
            return _touch(list((await session.scalars(stmt)).unique().all()))

    async def select_in() -> int:
        return await eager(QueryOptimizer.with_select_in_load(_page(), "recruiter", "city"))

    async def joined() -> int:
        return await eager(QueryOptimizer.with_joined_load(_page(), "recruiter", "city"))

    async def batch_loader() -> int:
        async with factory() as session:
            slots = list((await session.scalars(_page())).all())
            loader = BatchLoader(session)
            recruiters = await loader.load_many(Recruiter, {s.recruiter_id for s in slots})
            cities = await loader.load_many(City, {s.city_id for s in slots if s.city_id})
            shown = 0
            for s in slots:
                city = cities.get(s.city_id) if s.city_id else None
                shown += bool(recruiters.by_id[s.recruiter_id].name and (city is None or city.name))
            return shown

    return {
        "lazy_n_plus_one": n_plus_one,
        PER_ROW: per_row,
        "selectinload": select_in,
        "joinedload": joined,
        "batch_loader": batch_loader,
    }


def batch_variants(engine: AsyncEngine, ids: list[int]) -> dict[str, Variant]:
    factory = db.build_session_factory(engine)

    async def get_per_id() -> int:
        async with factory() as session:
            found = 0
            for i in ids:  # one round trip per id
                found += await session.get(Slot, i) is not None
            return found

    async def batch_loader() -> int:
        async with factory() as session:
            return len(await BatchLoader(session).load_many(Slot, ids))

    return {"get_per_id": get_per_id, "batch_loader": batch_loader}


async def count_statements(variants: dict[str, Variant]) -> dict[str, int]:
    counts = {}
    for name, call in variants.items():
        with query_scope(f"bench {name}") as scope:
            await call()
        counts[name] = scope.count
    return counts


async def _slot_ids(engine: AsyncEngine, n: int) -> list[int]:
    async with AsyncSession(engine) as session:
        return list((await session.scalars(select(Slot.id).order_by(Slot.id).limit(n))).all())


async def _measure(
    variants: dict[str, Variant],
    baseline: str,
    *,
    rounds: int,
    calls: int,
    tick: Callable[[], None] | None,
) -> dict[str, Any]:
    statements = await count_statements(variants)
    samples = await interleaved(variants, rounds=rounds, calls_per_round=calls, on_round=tick)
    result = compare(samples, baseline=baseline)
    result["statements"] = statements
    return result


async def run(
    engine: AsyncEngine,
    *,
    rounds: int = 7,
    quick: bool = False,
    tick: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Scenario 2 for ``python3 dev.py bench``: the list comparison at the top level (the report's
    shape), the BatchLoader comparison under ``batch_loader``."""
    install_query_recorder(engine)
    result = await _measure(
        list_variants(engine),
        "lazy_n_plus_one",
        rounds=rounds,
        calls=2 if quick else 4,
        tick=tick,
    )
    result["list_size"] = LIST_SIZE
    result[PER_ROW] = _split_off(result, PER_ROW)
    ids = await _slot_ids(engine, BATCH_SIZE)
    batch = await _measure(
        batch_variants(engine, ids),
        "get_per_id",
        rounds=max(3, rounds // 2) if quick else rounds,
        calls=1,
        tick=tick,
    )
    batch["ids"] = len(ids)
    result["batch_loader"] = batch
    result["source"] = "bench.queries (per-row N+1 vs eager loading vs BatchLoader)"
    return result


def _split_off(result: dict[str, Any], name: str) -> dict[str, Any]:
    """Move one variant out of the top level (the report reads every top-level variant but
    the N+1 baseline as an eager one)."""
    return {
        key: result[key].pop(name)
        for key in ("variants", "ratio_to_baseline", "statements", "_samples")
        if name in result.get(key, {})
    }


def speedups(result: dict[str, Any]) -> dict[str, float]:
    """How many times faster than the baseline each variant is (median over median)."""
    return {
        name: round(1 / r, 1) if r and r == r else float("nan")
        for name, r in result["ratio_to_baseline"].items()
    }


async def _main() -> None:
    engine = db.build_engine()
    try:
        result = await run(engine, rounds=7)
    finally:
        await engine.dispose()
    batch = result["batch_loader"]
    per_row = result[PER_ROW]
    summary = {
        "list_100_per_row": {
            "median_us": per_row["variants"]["median"],
            "statements": per_row["statements"],
            "times_faster_than_lazy_n_plus_one": round(1 / per_row["ratio_to_baseline"], 2),
        },
        "list_100": {
            "median_us": {k: v["median"] for k, v in result["variants"].items()},
            "statements": result["statements"],
            "times_faster_than_n_plus_one": speedups(result),
        },
        "batch_1000": {
            "ids": batch["ids"],
            "median_us": {k: v["median"] for k, v in batch["variants"].items()},
            "statements": batch["statements"],
            "times_faster_than_get_per_id": speedups(batch),
        },
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    asyncio.run(_main())
