"""QueryOptimizer, BatchLoader, QueryCache and OptimizedQueries against the test database
(SQLite by default, PostgreSQL in CI's second pass), counted statement by statement."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from slotwise.domain.models import City, Recruiter, Slot
from slotwise.queries.counter import QueryScope
from slotwise.queries.optimization import (
    MAX_CHUNK,
    BatchLoader,
    QueryCache,
    QueryOptimizer,
    UnknownRelationshipError,
    current_query_cache,
    query_cache_scope,
)
from slotwise.repositories.optimized_queries import OptimizedQueries
from tests.integration.query_data import Seeded, seed_lists

Count = Callable[[], AbstractContextManager[QueryScope]]
Factory = async_sessionmaker[AsyncSession]


@pytest.fixture
async def seeded(session_factory: Factory) -> Seeded:
    return await seed_lists(session_factory, 12, cities=5)


def _names(slots: list[Slot]) -> set[str]:
    """Touch every loaded relation (lazy="raise" fails here if one is missing)."""
    return {s.recruiter.name for s in slots} | {s.city.name for s in slots if s.city}


# --- QueryOptimizer ---------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 24])
async def test_select_in_load_is_three_statements_for_any_length(
    seeded: Seeded, session_factory: Factory, count_queries: Count, rows: int
) -> None:
    stmt = QueryOptimizer.with_select_in_load(select(Slot), "recruiter", "city")
    async with session_factory() as session:
        with count_queries() as q:
            slots = list((await session.scalars(stmt.order_by(Slot.id).limit(rows))).all())
        assert len(slots) == rows
        assert _names(slots)
    assert q.count == 3


@pytest.mark.parametrize("rows", [1, 24])
async def test_joined_load_is_one_statement_for_any_length(
    seeded: Seeded, session_factory: Factory, count_queries: Count, rows: int
) -> None:
    stmt = QueryOptimizer.with_joined_load(select(Slot), "recruiter", "city")
    async with session_factory() as session:
        with count_queries() as q:
            slots = list((await session.scalars(stmt.order_by(Slot.id).limit(rows))).all())
        assert len(slots) == rows
        assert _names(slots)
    assert q.count == 1


async def test_dotted_path_loads_the_nested_collection(
    seeded: Seeded, session_factory: Factory, count_queries: Count
) -> None:
    stmt = QueryOptimizer.with_select_in_load(select(Slot), "recruiter.cities")
    async with session_factory() as session:
        with count_queries() as q:
            slots = list((await session.scalars(stmt.order_by(Slot.id))).all())
        cities = {c.id for s in slots for c in s.recruiter.cities}
    assert q.count == 3  # slots, recruiters IN, cities IN
    assert cities == set(seeded.city_ids)


# --- BatchLoader ------------------------------------------------------------------------------


async def test_load_many_keeps_order_collapses_duplicates_and_reports_missing(
    seeded: Seeded, session_factory: Factory, count_queries: Count
) -> None:
    asked = [5, 3, 999, 5, 1, 3, 998]
    async with session_factory() as session:
        with count_queries() as q:
            found = await BatchLoader(session).load_many(Recruiter, asked)
    assert [r.id for r in found] == [5, 3, 1]
    assert found.missing == (999, 998)
    assert found.get(3) is found[1]
    assert q.count == 1


async def test_load_many_with_relationships_stays_one_round_trip_per_chunk(
    seeded: Seeded, session_factory: Factory, count_queries: Count
) -> None:
    async with session_factory() as session:
        loader = BatchLoader(session)
        with count_queries() as q:
            slots = await loader.load_many(
                Slot, seeded.slot_ids, relationships=["recruiter", "city"]
            )
        assert len(slots) == len(seeded.slot_ids)
        assert _names(list(slots))
        assert q.count == 1  # many-to-one relations are joined into the chunk's statement
        with count_queries() as q:
            recruiters = await loader.load_many(Recruiter, [1, 2], relationships=["cities"])
        assert all(r.cities for r in recruiters)
        assert q.count == 2  # recruiters, then their cities by SELECT IN


async def test_ids_are_chunked(
    seeded: Seeded, session_factory: Factory, count_queries: Count
) -> None:
    async with session_factory() as session:
        loader = BatchLoader(session, chunk_size=5)
        with count_queries() as q:
            found = await loader.load_many(Slot, seeded.slot_ids)
    assert [s.id for s in found] == seeded.slot_ids
    assert q.count == loader.round_trips == 5  # 24 ids in chunks of 5


async def test_a_huge_id_list_stays_below_the_parameter_limit(
    seeded: Seeded, session_factory: Factory, count_queries: Count
) -> None:
    ids = list(range(1, 2 * MAX_CHUNK + 2))  # 60,001 ids: one statement would be refused
    async with session_factory() as session:
        loader = BatchLoader(session, chunk_size=MAX_CHUNK)
        with count_queries() as q:
            found = await loader.load_many(Recruiter, ids)
    assert len(found) == 12
    assert len(found.missing) == len(ids) - 12
    assert q.count == 3
    assert q.batched == 3  # chunks are not mistaken for an N+1


async def test_memo_prime_and_clear(
    seeded: Seeded, session_factory: Factory, count_queries: Count
) -> None:
    async with session_factory() as session:
        loader = BatchLoader(session)
        await loader.load_many(City, [1, 2, 404])
        with count_queries() as q:
            again = await loader.load_many(City, [2, 1, 404])
            fake = City(id=4242, name="Primed", timezone="UTC")
            loader.prime(City, 4242, fake)
            assert await loader.load(City, 4242) is fake
        assert q.count == 0  # found rows and misses are remembered
        assert again.missing == (404,)
        loader.clear(City, 404)
        loader.clear(Recruiter)
        with count_queries() as q:
            await loader.load_many(City, [1, 404])
        assert q.count == 1
        loader.clear()
        with count_queries() as q:
            await loader.load_many(City, [1])
    # City 1 is still in the session's identity map: no query even after clear().
    assert q.count == 0


async def test_concurrent_loads_of_one_tick_share_one_query(
    seeded: Seeded, session_factory: Factory, count_queries: Count
) -> None:
    async with session_factory() as session:
        loader = BatchLoader(session)
        with count_queries() as q:
            found = await asyncio.gather(*(loader.load(Recruiter, i) for i in [3, 1, 3, 500, 2]))
    assert [r.id if r else None for r in found] == [3, 1, 3, None, 2]
    assert q.count == 1


async def test_a_failed_batch_fails_every_waiting_load(session_factory: Factory) -> None:
    async with session_factory() as session:
        loader = BatchLoader(session)
        results = await asyncio.gather(
            loader.load(Recruiter, 1, relationships=["nope"]),
            loader.load(Recruiter, 2, relationships=["nope"]),
            return_exceptions=True,
        )
    assert [type(r) for r in results] == [UnknownRelationshipError] * 2


def test_chunk_size_is_bounded() -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        BatchLoader(None, chunk_size=MAX_CHUNK + 1)  # type: ignore[arg-type]


# --- QueryCache -------------------------------------------------------------------------------


async def test_query_cache_loads_each_row_once_per_request(
    seeded: Seeded, session_factory: Factory, count_queries: Count
) -> None:
    cache = QueryCache()
    with count_queries() as q:
        async with session_factory() as first:
            a = await cache.get_or_load(first, Recruiter, 1)
            missing = [await cache.get_or_load(first, Recruiter, 404) for _ in range(3)]
        # A later unit of work of the same request: served from the request's cache.
        async with session_factory() as second:
            b = await cache.get_or_load(second, Recruiter, 1)
            same = await asyncio.gather(*(cache.get_or_load(second, City, 2) for _ in range(10)))
    assert a is b
    assert a is not None and a.id == 1
    assert missing == [None, None, None]
    assert len({id(c) for c in same}) == 1
    assert q.count == 3  # recruiter 1, recruiter 404, city 2
    assert cache.loads == 3


async def test_query_cache_relationships_and_invalidation(
    seeded: Seeded, session_factory: Factory, count_queries: Count
) -> None:
    cache = QueryCache()
    async with session_factory() as session:
        recruiter = await cache.get_or_load(session, Recruiter, 2, relationships=["cities"])
        assert recruiter is not None and len(recruiter.cities) == 2
        cache.invalidate(Recruiter, 2)
        with count_queries() as q:
            await cache.get_or_load(session, Recruiter, 2)
            await cache.get_or_load(session, Recruiter, 2)
    assert q.count <= 1  # at most one reload (the session's identity map may answer)
    assert len(cache) == 1


async def test_query_cache_scope_sets_the_request_cache() -> None:
    assert current_query_cache() is None
    with query_cache_scope() as cache:
        assert current_query_cache() is cache
        assert QueryCache.current() is cache

        async def child() -> QueryCache | None:
            return current_query_cache()

        assert await asyncio.create_task(child()) is cache
    assert current_query_cache() is None


# --- OptimizedQueries -------------------------------------------------------------------------


async def test_optimized_queries(
    seeded: Seeded, session_factory: Factory, count_queries: Count
) -> None:
    async with session_factory() as session:
        with count_queries() as q:
            slots = (await session.scalars(OptimizedQueries.slots_with_relations())).all()
            recruiters = (await session.scalars(OptimizedQueries.recruiters_with_cities())).all()
        assert _names(list(slots))
        assert all(len(r.cities) == 2 for r in recruiters)
    assert q.count == 3  # slots+joins, recruiters, their cities
