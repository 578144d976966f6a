"""The cache consistency model under fault injection (docs/cache-consistency.md is what it
proves): a private redis-server the suite breaks on purpose, two API processes on the test
PostgreSQL, and every read through both processes and three views (the recruiter, the
recruiter list, a slot list embedding the recruiter) checked against the acknowledged writes.

0 stale reads in every scenario (READONLY and paused writes: none later than 1 s after the
acknowledgement), 0 failed requests.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Iterator

import pytest

from slotwise.cache.config import CacheConfig
from slotwise.cache.layout import version_keys
from slotwise.domain.models import Recruiter
from slotwise.repositories import UnitOfWork
from slotwise.repositories.cache_keys import CacheKeys
from tests.integration import foundation_data as fd
from tests.integration.fault_support import (
    PREFIX,
    Api,
    Checker,
    PrivateRedis,
    Tally,
)
from tests.servers import free_port

pytestmark = pytest.mark.real_services

STEPS = 5


@pytest.fixture(scope="module")
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.discard()


@pytest.fixture(scope="module")
def apis(
    private_redis: PrivateRedis, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[Api]]:
    log = (tmp_path_factory.mktemp("faults") / "api.log").open("ab")
    pair = [Api(private_redis.url, log), Api(private_redis.url, log)]
    try:
        for api in pair:
            api.start()
        yield pair
    finally:
        for api in pair:
            api.stop()
        log.close()


@pytest.fixture
async def checker(
    apis: list[Api], private_redis: PrivateRedis, make_uow: Callable[[], UnitOfWork]
) -> Checker:
    """A recruiter with one slot, read once through everything (the caches are warm)."""
    private_redis.reset()
    # The reset (FLUSHALL) is the harness's own write: like any writer's invalidation it is
    # acknowledged only once the in-process tiers' fence bound has passed.
    await asyncio.sleep(2 * CacheConfig().l1_fence_ms / 1000)
    for api in apis:
        api.ensure_running()
    async with make_uow() as uow:
        anna = await fd.recruiter(uow, "r0")
        await fd.slot(uow, anna)
        await uow.commit()
    check = Checker(apis, anna.id)
    check.acknowledged("r0")
    check.read_all()
    hits = sum(api.hits() for api in apis)
    check.read_all()
    assert sum(api.hits() for api in apis) > hits, "the warm-up reads were served by the cache"
    return check


def assert_clean(check: Checker, *, late_only: bool = False) -> None:
    tally = check.tally
    stale = tally.late_stale if late_only else tally.stale
    assert tally.reads > 0
    assert (tally.failed, stale) == ([], []), f"{len(stale)} stale of {tally.reads} reads"


async def _db_name(make_uow: Callable[[], UnitOfWork], recruiter_id: int) -> str:
    async with make_uow() as uow:
        uow.session.expire_all()
        found = await uow.session.get(Recruiter, recruiter_id)
        assert found is not None
        return str(found.name)


# --- keys lost -------------------------------------------------------------------------------


def _delete_some(server: PrivateRedis, share: float, rng: random.Random) -> None:
    keys = server.cache_keys()
    doomed = [k for k in keys if rng.random() < share]
    if doomed:
        with server.admin() as r:
            r.delete(*doomed)


async def test_random_key_deletion_storms_between_every_step(
    checker: Checker, private_redis: PrivateRedis
) -> None:
    rng = random.Random(13)
    for step in range(STEPS):
        _delete_some(private_redis, 0.5, rng)
        assert checker.write(f"storm{step}", through=step)
        _delete_some(private_redis, 0.5, rng)
        checker.read_all()
        _delete_some(private_redis, 0.3, rng)
        checker.read_all()
    assert_clean(checker)


async def test_deleting_exactly_the_keys_a_write_changed_twice_in_a_row(
    checker: Checker, private_redis: PrivateRedis
) -> None:
    changed = [
        key
        for target in CacheKeys.recruiter_changed(checker.recruiter_id)
        for key in version_keys(PREFIX, target)
    ]
    for step in range(STEPS):
        for turn in range(2):
            assert checker.write(f"exact{step}.{turn}", through=step + turn)
            with private_redis.admin() as r:
                r.delete(*changed)
            checker.read_all()
    assert_clean(checker)


# --- writes refused, reads served ----------------------------------------------------------


async def test_out_of_memory_with_noeviction(checker: Checker, private_redis: PrivateRedis) -> None:
    with private_redis.admin() as r:
        r.config_set("maxmemory-policy", "noeviction")
        r.config_set("maxmemory", 1)
    for step in range(STEPS):
        assert checker.write(f"oom{step}", through=step)
        checker.read_all()
        checker.read_all()
    assert_clean(checker)


async def test_allkeys_lru_under_memory_pressure(
    checker: Checker, private_redis: PrivateRedis
) -> None:
    with private_redis.admin() as r:
        used = int(r.info("memory")["used_memory"])
        r.config_set("maxmemory-policy", "allkeys-lru")
        r.config_set("maxmemory", used + 256 * 1024)
        for step in range(STEPS):
            pipe = r.pipeline(transaction=False)
            for i in range(400):
                pipe.set(f"{PREFIX}:filler:{step}:{i}", b"x" * 1024)
            pipe.execute()
            assert checker.write(f"lru{step}", through=step)
            checker.read_all()
            pipe = r.pipeline(transaction=False)
            for i in range(200):
                pipe.set(f"{PREFIX}:filler2:{step}:{i}", b"y" * 1024)
            pipe.execute()
            checker.read_all()
        assert int(r.info("stats")["evicted_keys"]) > 0  # the pressure was real
    assert_clean(checker)


async def test_readonly_replica_no_stale_read_later_than_1s_after_the_ack(
    checker: Checker, private_redis: PrivateRedis
) -> None:
    with private_redis.admin() as r:
        r.execute_command("REPLICAOF", "127.0.0.1", str(free_port()))
        try:
            for step in range(3):
                assert checker.write(f"ro{step}", through=step)
                checker.read_all()
                await asyncio.sleep(1.05)
                checker.read_all()
        finally:
            r.execute_command("REPLICAOF", "NO", "ONE")
    assert_clean(checker, late_only=True)
    checker.tally = Tally()
    for step in range(3):  # writable again: nothing from before comes back, at any time
        checker.read_all()
        assert checker.write(f"rw{step}", through=step)
        checker.read_all()
    assert_clean(checker)


async def test_client_pause_write_around_a_write(
    checker: Checker, private_redis: PrivateRedis
) -> None:
    with private_redis.admin() as r:
        for step in range(3):
            checker.read_all()
            r.execute_command("CLIENT", "PAUSE", "400", "WRITE")
            assert checker.write(f"pause{step}", through=step)
            checker.read_all()
            await asyncio.sleep(0.2)
            checker.read_all()
    assert_clean(checker, late_only=True)
    assert checker.tally.stale == [], "none stale even within the second after the ack"


# --- Redis goes back in time -----------------------------------------------------------------


async def test_kill_9_and_restart_from_an_rdb_taken_before_the_last_writes(
    checker: Checker, private_redis: PrivateRedis
) -> None:
    old = private_redis.snapshot()
    for step in range(3):
        assert checker.write(f"late{step}", through=step)
        checker.read_all()
    private_redis.restart_from(old)
    for step in range(3):
        checker.read_all()
        checker.read_all()
        assert checker.write(f"after{step}", through=step)
        checker.read_all()
    assert_clean(checker)


# --- the writer fails between COMMIT and invalidation ---------------------------------------


async def test_a_writer_killed_between_commit_and_invalidation(
    checker: Checker, apis: list[Api], make_uow: Callable[[], UnitOfWork]
) -> None:
    assert not checker.write("KILL-1", through=0)  # the process died: no reply
    assert checker.tally.failed and "KILL-1" in checker.tally.failed[-1]
    checker.tally.failed.clear()  # the injected fault, not a failed request
    assert await _db_name(make_uow, checker.recruiter_id) == "KILL-1"  # it had committed
    checker.acknowledged("KILL-1")
    survivors = Checker([apis[1]], checker.recruiter_id)
    survivors.acknowledged("KILL-1")
    for _ in range(3):
        survivors.read_all()
    apis[0].ensure_running()
    for step in range(3):
        checker.read_all()
        assert checker.write(f"k{step}", through=step)
        checker.read_all()
    assert_clean(checker)
    assert_clean(survivors)


async def test_commit_that_commits_and_then_raises(
    checker: Checker, apis: list[Api], make_uow: Callable[[], UnitOfWork]
) -> None:
    """The writer invalidates although COMMIT raised: no stale read, and the cache serves
    again at once (not only once the write intents have expired)."""
    for step in range(3):
        assert not checker.write(f"RAISE-{step}", through=step)  # the reply says it failed
        checker.tally.failed.clear()
        assert await _db_name(make_uow, checker.recruiter_id) == f"RAISE-{step}"
        checker.acknowledged(f"RAISE-{step}")
        checker.read_all()
        hits = sum(api.hits() for api in apis)
        checker.read_all()
        assert sum(api.hits() for api in apis) > hits
    assert_clean(checker)


# --- the breaker ------------------------------------------------------------------------------


async def test_the_breaker_closes_after_an_outage_whichever_call_probes(
    checker: Checker, apis: list[Api], private_redis: PrivateRedis
) -> None:
    """Every call during the outage fails; after it the first call let through (a lookup, a
    store, a write probe) closes the breaker, so caching resumes in both processes."""
    with private_redis.admin() as r:
        r.execute_command("CLIENT", "PAUSE", "700", "ALL")
        for _ in range(3):
            checker.read_all()  # time out, open the breaker, fall back to the database
    await asyncio.sleep(0.8)
    assert checker.write("after-outage", through=0)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(api.ready_cache() != "ok" for api in apis):
        checker.read_all()
        await asyncio.sleep(0.1)
    assert [api.ready_cache() for api in apis] == ["ok", "ok"]
    before = [api.hits() for api in apis]
    for _ in range(3):
        checker.read_all()
    assert all(api.hits() > hits for api, hits in zip(apis, before, strict=True))
    assert_clean(checker)
