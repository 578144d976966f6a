"""The cache against real services: Redis killed and restarted mid-test, and two worker
processes sharing PostgreSQL and Redis.

The outage test runs its own ``redis-server`` on a free port (never the shared one on 6379),
with an append-only file so that the entries cached before the kill come back after the
restart: the hard case, where only the new generation keeps them from being served.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from redis.asyncio import Redis

from slotwise.cache.client import CacheClient
from slotwise.cache.config import build_redis
from slotwise.repositories import UnitOfWork
from slotwise.result import Success
from tests import servers
from tests.integration import foundation_data as fd
from tests.integration.cache_support import hits_misses
from tests.plugins.cache import cache_config_for_tests, installed

pytestmark = pytest.mark.real_services

ROOT = Path(__file__).resolve().parents[2]


class OwnRedis:
    """A redis-server of this test's own: start, kill -9, start again on the same data."""

    def __init__(self, folder: Path) -> None:
        self.port = servers.free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is needed for the outage test"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.05):
                    return
            except OSError:
                subprocess.run(["sleep", "0.01"], check=True)
        raise AssertionError("own redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
async def outage_cache(own_redis: OwnRedis) -> AsyncIterator[CacheClient]:
    config = replace(
        cache_config_for_tests(),
        url=f"redis://127.0.0.1:{own_redis.port}/0",
        socket_timeout=0.05,
        connect_timeout=0.05,
        breaker_reset_after=0.05,
    )
    async with installed(CacheClient(config, build_redis(config))) as client:
        yield client


async def test_redis_killed_and_restarted_mid_test_no_failed_call_no_stale_read(
    outage_cache: CacheClient, own_redis: OwnRedis, make_uow: Callable[[], UnitOfWork]
) -> None:
    async with make_uow() as uow:
        anna = await fd.recruiter(uow, "v0")
        await uow.commit()
    committed = "v0"
    failed = stale = 0
    hits_before_restart = 0
    for step in range(90):
        if step == 20:
            own_redis.kill()
        if step == 50:
            own_redis.start()  # the AOF brings back entries cached before the kill
            hits_before_restart = hits_misses()[0]
        if step % 4 == 3:
            async with make_uow() as uow:
                found = await uow.recruiters.get(anna.id)
                if isinstance(found, Success):
                    found.value.name = f"v{step}"
                    if isinstance(await uow.recruiters.update(found.value), Success):
                        await uow.commit()
                        committed = f"v{step}"
                    else:
                        failed += 1
                else:
                    failed += 1
        async with make_uow() as uow:
            read = await uow.recruiters.get(anna.id)
        if not isinstance(read, Success):
            failed += 1
        elif read.value.name != committed:
            stale += 1
        await asyncio.sleep(0.01)
    assert (failed, stale) == (0, 0)
    assert outage_cache.available  # the breaker closed again and the generation is new
    assert hits_misses()[0] > hits_before_restart  # and caching resumed


# --- two worker processes --------------------------------------------------------------------


class Worker:
    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.cache_worker"],
            cwd=ROOT, env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )  # fmt: skip
        assert self.ask(None) == "ready"

    def ask(self, line: str | None) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        if line is not None:
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=10)


async def test_a_write_through_one_process_is_seen_by_the_next_read_through_another(
    make_uow: Callable[[], UnitOfWork],
) -> None:
    async with make_uow() as uow:
        anna = await fd.recruiter(uow, "start")
        await uow.commit()
    prefix = f"xp{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, CACHE_KEY_PREFIX=prefix, CACHE_ENABLED="true")
    a, b = Worker(env), Worker(env)
    try:
        for i in range(15):
            writer, reader = (a, b) if i % 2 == 0 else (b, a)
            assert reader.ask(f"read {anna.id}") != f"n{i}"  # warm the reader's cache
            assert writer.ask(f"write {anna.id} n{i}") == "ok"
            assert reader.ask(f"read {anna.id}") == f"n{i}"
            assert writer.ask(f"read {anna.id}") == f"n{i}"
    finally:
        a.stop()
        b.stop()
        redis = Redis.from_url(os.environ["SLOTWISE_TEST_REDIS_URL"])
        keys = [k async for k in redis.scan_iter(match=f"{prefix}:*", count=1000)]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
