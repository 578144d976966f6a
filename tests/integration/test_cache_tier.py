"""The in-process tier against a real redis-server of the test's own: invalidations pushed by
CLIENT TRACKING, the fence, the commit-wait guarantee between two clients (two processes'
worth of cache: each its own pool, tier and tracking connection), and what a lost tracking
connection does."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import pytest

from slotwise.cache.client import CacheClient
from slotwise.cache.config import CacheConfig
from slotwise.cache.layout import Miss
from tests.integration.fault_support import PrivateRedis

pytestmark = pytest.mark.real_services

KEY = "recruiter:7"


@pytest.fixture(scope="module")
def server() -> Iterator[PrivateRedis]:
    redis_server = PrivateRedis()
    redis_server.start()
    try:
        yield redis_server
    finally:
        redis_server.discard()


def _config(server: PrivateRedis) -> CacheConfig:
    return replace(
        CacheConfig(),
        url=server.url,
        key_prefix="tier",
        socket_timeout=1.0,
        connect_timeout=1.0,
        l1_enabled=True,
    )


async def _fenced(client: CacheClient) -> None:
    """Wait (at most 5 s) until the client's tier may answer (tracking on, two PONGs read)."""
    assert client.tier is not None
    async with asyncio.timeout(5):
        while not client.tier.usable():  # noqa: ASYNC110 - polled state of another task
            await asyncio.sleep(0.005)


@pytest.fixture
async def pair(server: PrivateRedis) -> AsyncIterator[tuple[CacheClient, CacheClient]]:
    server.reset()
    clients = (CacheClient(_config(server)), CacheClient(_config(server)))
    try:
        for client in clients:
            assert await client.connect()
            await _fenced(client)
        yield clients
    finally:
        for client in clients:
            await client.close()


async def _store(client: CacheClient, key: str, value: bytes) -> None:
    found = await client.lookup(key)
    assert isinstance(found, Miss) and found.token
    assert await client.store(key, found, value, 60)


@pytest.fixture
async def warm(pair: tuple[CacheClient, CacheClient]) -> tuple[CacheClient, CacheClient]:
    """The pair with KEY written by the writer and held in the reader's tier: where the tests
    of what drops a local entry start."""
    reader, writer = pair
    await _store(writer, KEY, b"v1")
    # The tier answers only while its fence is younger than B (20 ms): on a loaded machine a
    # late PONG makes it stop answering (and drop what it holds) for a moment, so the set-up
    # fences and reads again until the entry is held, a bounded number of times.
    for _ in range(20):
        await _fenced(reader)
        await reader.lookup(KEY)
        if reader.local_hit(KEY) is not None:
            return pair
    raise AssertionError("the reader's tier never held KEY")


async def test_a_hit_fills_the_tier_and_the_next_read_needs_no_redis(
    pair: tuple[CacheClient, CacheClient],
) -> None:
    reader, writer = pair
    await _store(writer, KEY, b"v1")
    assert bytes(await reader.lookup(KEY)) == b"v1"  # type: ignore[arg-type]
    entry = reader.local_hit(KEY)
    assert entry is not None and entry.payload == b"v1"


async def test_an_invalidation_by_another_client_is_pushed(
    warm: tuple[CacheClient, CacheClient],
) -> None:
    reader, writer = warm
    assert await writer.invalidate(KEY)  # returns after its commit-wait
    assert reader.local_hit(KEY) is None
    assert isinstance(await reader.lookup(KEY, lock=False), Miss)


async def test_no_read_after_an_acknowledged_write_is_older_than_it(
    pair: tuple[CacheClient, CacheClient],
) -> None:
    """Writer: invalidate (acknowledged when it returns), then store the new version; reader:
    reads at random moments. Every read that starts after an acknowledgement sees that
    version or a newer one (or a miss)."""
    reader, writer = pair
    rng = random.Random(7)
    acknowledged = -1
    stale: list[tuple[int, int]] = []
    reads = 0

    async def read_loop(stop: asyncio.Event) -> None:
        nonlocal reads
        while not stop.is_set():
            floor = acknowledged
            found = await reader.lookup(KEY, lock=False)
            reads += 1
            if not isinstance(found, Miss) and int(bytes(found)) < floor:
                stale.append((int(bytes(found)), floor))
            await asyncio.sleep(rng.random() * 0.002)

    await _store(writer, KEY, b"0")
    stop = asyncio.Event()
    task = asyncio.create_task(read_loop(stop))
    try:
        for version in range(1, 61):
            await asyncio.sleep(rng.random() * 0.01)  # let the reader fill its tier
            assert await writer.invalidate(KEY)  # the write of `version` is acknowledged
            acknowledged = version
            await _store(writer, KEY, str(version).encode())
    finally:
        stop.set()
        await task
    assert reads > 100
    assert stale == []
    assert reader.tier is not None and reader.tier.local.hits > 0  # it did answer meanwhile


async def test_a_lost_tracking_connection_drops_the_tier_until_fenced_again(
    warm: tuple[CacheClient, CacheClient], server: PrivateRedis
) -> None:
    reader, _ = warm
    with server.admin() as admin:
        admin.execute_command("CLIENT", "KILL", "TYPE", "normal")
    await asyncio.sleep(0.05)
    assert reader.local_hit(KEY) is None
    assert reader.tier is not None and len(reader.tier.local) == 0
    await _fenced(reader)
    await reader.lookup(KEY)  # refills through Redis (the pools reconnect)
    await reader.lookup(KEY)
    assert reader.local_hit(KEY) is not None


async def test_a_stalled_server_stops_local_answers_within_the_bound(
    warm: tuple[CacheClient, CacheClient], server: PrivateRedis
) -> None:
    reader, _ = warm
    with server.admin() as admin:
        admin.execute_command("CLIENT", "PAUSE", "300", "ALL")
    await asyncio.sleep(3 * _config(server).l1_fence_ms / 1000)
    assert reader.local_hit(KEY) is None  # no PONG: the fence aged past the bound
    await asyncio.sleep(0.4)
    await _fenced(reader)


async def test_a_write_drops_its_own_processs_entries_at_once_even_without_commit_wait(
    pair: tuple[CacheClient, CacheClient],
) -> None:
    reader, _ = pair
    await _store(reader, KEY, b"v1")
    await reader.lookup(KEY)
    assert reader.local_hit(KEY) is not None
    assert await reader.invalidate(KEY, commit_wait=False)
    assert reader.local_hit(KEY) is None
    assert isinstance(await reader.lookup(KEY, lock=False), Miss)
