"""Cache fixtures: fakeredis on the embedded default, the real Redis with SLOTWISE_TEST_REDIS_URL.

    async def test_hit(cache, make_uow):      # the process's cache, empty, for this test
        ...

On the embedded default every Redis client the application builds (``connect_cache``, the
app's lifespan) talks to one in-process fakeredis server: a Redis running on localhost is
never touched. With ``SLOTWISE_TEST_REDIS_URL`` the real one is used; each ``cache`` fixture
gets its own key prefix, so tests never see each other's entries. ``reset_app_cache()`` (run
by the ``engine`` fixture after emptying the database) starts a new generation for the
settings' prefix, so a cache the app filled cannot outlive the rows it was filled from.

Imported by ``tests/conftest.py``.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import fakeredis
import pytest

from slotwise.cache import client as cache_module
from slotwise.cache import config as cache_config
from slotwise.cache.client import CacheClient, CacheConfig

TEST_REDIS_URL = os.environ.get("SLOTWISE_TEST_REDIS_URL", "")
FAKE_SERVER = fakeredis.FakeServer()


def _fake_redis(config: CacheConfig) -> fakeredis.FakeAsyncRedis:
    return fakeredis.FakeAsyncRedis(server=FAKE_SERVER)


def use_test_redis() -> None:
    """Point every cache client the application builds at the test Redis."""
    if not TEST_REDIS_URL:
        cache_config.set_redis_factory(_fake_redis)


def cache_config_for_tests(**overrides: object) -> CacheConfig:
    """A config for the test Redis with a fresh key prefix (and generous socket timeouts:
    CI machines are slow; outage tests set their own)."""
    config = CacheConfig.from_settings()
    config = replace(config, url=TEST_REDIS_URL or None, key_prefix=f"t{uuid.uuid4().hex[:10]}")
    config = replace(config, socket_timeout=1.0, connect_timeout=1.0)
    return replace(config, **overrides)  # type: ignore[arg-type]


async def reset_app_cache() -> None:
    """Drop whatever apps built in the test stored under the settings' prefix (O(1))."""
    await cache_module.clear_cache_from_settings()


@contextlib.asynccontextmanager
async def installed(client: CacheClient) -> AsyncIterator[CacheClient]:
    """``client`` connected and installed as the process's cache for the block, then
    uninstalled and closed."""
    assert await client.connect(), "the test Redis is not reachable"
    cache_module.install_cache(client)
    try:
        yield client
    finally:
        cache_module.install_cache(None)
        await client.close()


@pytest.fixture
async def cache() -> AsyncIterator[CacheClient]:
    """The process's cache for this test: connected and empty."""
    async with installed(CacheClient(cache_config_for_tests())) as client:
        yield client
        redis = client.redis
        if redis is not None and TEST_REDIS_URL:
            keys = [k async for k in redis.scan_iter(match=f"{client.prefix}:*", count=1000)]
            if keys:
                await redis.delete(*keys)
