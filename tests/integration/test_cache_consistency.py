"""The consistency protocol's rules one at a time, on the embedded Redis (the model:
docs/cache-consistency.md; test_cache_faults.py shows them under real faults)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slotwise.cache import codec as cache_codec
from slotwise.cache import layout
from slotwise.cache.client import CacheClient
from slotwise.cache.keys import escape
from slotwise.cache.layout import Miss, key_set
from slotwise.domain.models import City, Recruiter, Slot, SlotStatus
from slotwise.repositories import UnitOfWork
from slotwise.repositories.cache_keys import CacheKeys
from tests.integration import foundation_data as fd
from tests.integration.cache_support import snapshot

MakeUow = Callable[[], UnitOfWork]


async def _hit(cache: CacheClient, key: str) -> bool:
    return not isinstance(await cache.lookup(key, lock=False), Miss)


async def _stored(cache: CacheClient, key: str, data: bytes = b"\x01") -> None:
    miss = await cache.lookup(key)
    assert isinstance(miss, Miss) and miss.token
    assert await cache.store(key, miss, data, 60)


# --- versions -----------------------------------------------------------------------------


async def test_a_lost_version_is_a_miss_and_never_comes_back(cache: CacheClient) -> None:
    await _stored(cache, "things:a")
    assert await _hit(cache, "things:a")
    redis = cache.redis
    assert redis is not None
    for version in key_set(cache.prefix, "things:a").versions:
        before = await redis.get(version)
        await redis.delete(version)
        assert not await _hit(cache, "things:a")  # missing: a miss, not "0"
        miss = await cache.lookup("things:a", lock=False)
        assert isinstance(miss, Miss) and miss.token  # the miss made a new version
        assert await redis.get(version) not in (None, before)  # never the old one
        assert not await _hit(cache, "things:a")  # the old value stays invalid


async def test_invalidation_by_delete_works_like_a_bump(cache: CacheClient) -> None:
    await _stored(cache, "things:b")
    redis = cache.redis
    assert redis is not None
    await redis.delete(*cache.version_keys(["things:*"]))
    assert not await _hit(cache, "things:b")


async def test_an_old_value_stored_under_old_versions_is_never_served(cache: CacheClient) -> None:
    """The read-time check: a store that slipped past the store-time check (here: forced
    under the versions it saw) is still refused when read."""
    miss = await cache.lookup("things:c")
    assert isinstance(miss, Miss) and miss.token
    await cache.invalidate("things:c")
    redis = cache.redis
    assert redis is not None
    keys = key_set(cache.prefix, "things:c")
    await redis.set(keys.value, f"{miss.token}|".encode() + b"\x01")
    assert not await _hit(cache, "things:c")


# --- write intents ------------------------------------------------------------------------


async def test_an_intent_makes_lookups_miss_and_stores_refuse_until_it_is_released(
    cache: CacheClient,
) -> None:
    await _stored(cache, "things:d")
    racing = await cache.lookup("things:d2")  # a load that began before the intent
    marked = await cache.mark_intents(["things:*"])
    assert marked
    assert not await _hit(cache, "things:d")
    blocked = await cache.lookup("things:d")
    assert isinstance(blocked, Miss) and not blocked.token  # nothing may be stored
    assert isinstance(racing, Miss)
    assert not await cache.store("things:d2", racing, b"\x01", 60)
    assert await cache.invalidate("things:*", intents=marked)
    assert not await _hit(cache, "things:d")
    await _stored(cache, "things:d")
    assert await _hit(cache, "things:d")


async def test_an_intent_of_another_writer_outlives_our_invalidation(cache: CacheClient) -> None:
    first = await cache.mark_intents(["things:*"])
    second = await cache.mark_intents(["things:*"])
    assert await cache.invalidate("things:*", intents=first)
    blocked = await cache.lookup("things:e")
    assert isinstance(blocked, Miss) and not blocked.token  # the second writer is pending
    assert await cache.invalidate("things:*", intents=second)
    await _stored(cache, "things:e")


async def test_an_intent_left_by_a_dead_writer_expires_into_misses(cache: CacheClient) -> None:
    redis = cache.redis
    assert redis is not None
    await _stored(cache, "things:f")
    marked = await cache.mark_intents(["things:f"])
    ttl = await redis.pttl(marked[0])
    assert 0 < ttl <= layout.INTENT_MS  # bounded: the bypass a lost after-commit step costs
    await redis.delete(*marked)  # what its expiry does
    assert not await _hit(cache, "things:f")
    await _stored(cache, "things:f")
    assert await _hit(cache, "things:f")


async def test_the_unit_of_work_marks_before_commit_and_invalidates_even_if_commit_raises(
    cache: CacheClient, make_uow: MakeUow
) -> None:
    async with make_uow() as uow:
        anna = await fd.recruiter(uow, "Anna")
        await uow.commit()
    async with make_uow() as uow:
        await uow.recruiters.get(anna.id)  # cached
    key = CacheKeys.recruiter(anna.id)
    assert await _hit(cache, key)
    seen: list[bool] = []
    async with make_uow() as uow:
        found = fd.ok(await uow.recruiters.get(anna.id))
        found.name = "Anya"
        fd.ok(await uow.recruiters.update(found))
        real_commit = uow.session.commit

        async def commit_then_raise() -> None:
            seen.append(await _hit(cache, key))  # the intent is there already
            await real_commit()
            raise ConnectionResetError("injected: the reply was lost")

        uow.session.commit = commit_then_raise  # type: ignore[method-assign]
        with pytest.raises(ConnectionResetError):
            await uow.commit()
    assert seen == [False]
    async with make_uow() as uow:
        assert fd.ok(await uow.recruiters.get(anna.id)).name == "Anya"
    async with make_uow() as uow:
        assert fd.ok(await uow.recruiters.get(anna.id)).name == "Anya"
    assert await _hit(cache, key)  # invalidated, not left to the intent's expiry


async def test_after_commit_work_finishes_when_the_committer_is_cancelled(
    cache: CacheClient, make_uow: MakeUow
) -> None:
    done: list[str] = []
    started = asyncio.Event()

    async def slow_action() -> None:
        started.set()
        await asyncio.sleep(0.05)
        done.append("invalidated")

    async def writer() -> None:
        async with make_uow() as uow:
            await fd.city(uow, "Kazan")
            uow.after_commit(slow_action)
            await uow.commit()

    task = asyncio.create_task(writer())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.1)
    assert done == ["invalidated"]


# --- the breaker ----------------------------------------------------------------------------


async def test_a_store_that_is_the_half_open_probe_closes_the_breaker(cache: CacheClient) -> None:
    """The probe race: a load began before an outage and its store is the first call after
    it. The store's success must close the breaker (it used to leave it half-open for good)."""
    client = CacheClient(replace(cache.config, breaker_reset_after=0.01), cache.redis)
    miss = await client.lookup("things:g")
    assert isinstance(miss, Miss) and miss.token
    client.breaker.force_open("an outage while the load ran")
    await asyncio.sleep(0.02)
    assert await client.store("things:g", miss, b"\x01", 60)
    assert client.breaker.is_closed
    assert await _hit(client, "things:g")


# --- keys ---------------------------------------------------------------------------------


@given(st.text(min_size=1, max_size=200), st.text(min_size=1, max_size=200))
def test_escaping_is_injective_hashed_forms_included(a: str, b: str) -> None:
    if a != b:
        assert escape(a) != escape(b)
    long = "x" * 500
    assert escape(escape(long)) != escape(long)  # a literal cannot spell a hashed form


async def test_list_keys_are_capped_per_namespace(
    cache: CacheClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(layout._CAPS, "capped:list", 3)
    layout._key_set.cache_clear()
    try:
        stored = 0
        for i in range(6):
            key = f"capped:list:f:{i}"
            miss = await cache.lookup(key)
            assert isinstance(miss, Miss)
            stored += await cache.store(key, miss, b"\x01", 60)
        assert stored == 3
    finally:
        layout._key_set.cache_clear()


# --- hit fidelity ---------------------------------------------------------------------------

_WHEN = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@st.composite
def _slots(draw: st.DrawFn) -> Slot:
    city = City(
        id=draw(st.integers(1, 10**6)), name=draw(st.text(max_size=20)), timezone="UTC",
        active=draw(st.booleans()), responsible_recruiter_id=None,
    )  # fmt: skip
    recruiter = Recruiter(
        id=draw(st.integers(1, 10**6)), name=draw(st.text(max_size=30)), timezone="UTC",
        active=draw(st.booleans()), telegram_chat_id=draw(st.none() | st.integers(1, 2**60)),
        meeting_url=draw(st.none() | st.text(max_size=30)), cities=[city],
    )  # fmt: skip
    start = draw(_WHEN)
    return Slot(
        id=draw(st.integers(1, 10**6)), recruiter_id=recruiter.id, city_id=None,
        start_utc=start, end_utc=start, duration_min=draw(st.integers(10, 480)),
        status=draw(st.sampled_from(list(SlotStatus))),
        candidate_telegram_id=draw(st.none() | st.integers(1, 2**60)),
        candidate_name=draw(st.none() | st.text(max_size=20)),
        candidate_timezone=draw(st.none() | st.just("Europe/Moscow")),
        created_at=draw(_WHEN), updated_at=draw(_WHEN), version=draw(st.integers(1, 1000)),
        recruiter=recruiter, city=None,
    )  # fmt: skip


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_slots(), max_size=3))
def test_a_hit_equals_a_miss_in_type_and_value(slots: list[Slot]) -> None:
    """What a read path returned (the miss) and what the cache gives back for it (the hit):
    the same types (SlotStatus, aware datetimes, ...) and the same values, relations too."""
    for value in (slots, *slots):
        hit = cache_codec.materialize(cache_codec.decode(cache_codec.encode(value)), None)
        assert snapshot(hit) == snapshot(value)
