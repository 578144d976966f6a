"""The benchmark's only contact with the cache layer's API (``slotwise.cache.client``), so that
a change there is one edit here.

``uncached(method)`` is the method beneath ``@cached`` (``functools.wraps`` keeps it as
``__wrapped__``): the same code path with the cache taken out, the fairest baseline.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any


def available() -> bool:
    try:
        importlib.import_module("slotwise.cache.client")
        importlib.import_module("slotwise.repositories.invalidation")
    except ImportError:
        return False
    return True


def uncached(method: Callable[..., Any]) -> Callable[..., Any]:
    inner = method
    while hasattr(inner, "__wrapped__"):
        inner = inner.__wrapped__
    return inner


def is_cached(method: Callable[..., Any]) -> bool:
    return uncached(method) is not method


@asynccontextmanager
async def connected() -> AsyncIterator[None]:
    """The process-wide cache, set up exactly as the API's startup does it (from the settings
    the runner put in the environment: REDIS_URL, CACHE_KEY_PREFIX), for the block."""
    cache = importlib.import_module("slotwise.cache.client")
    client = await cache.setup_cache_from_settings()
    if client is None or not client.available:
        await cache.disconnect_cache()
        raise RuntimeError("the cache did not connect to the benchmark's Redis")
    try:
        yield
    finally:
        await cache.disconnect_cache()


async def invalidate_recruiter(recruiter_id: int) -> None:
    """Make the recruiter's cached entries misses, as a committed write would, without the
    write's commit-wait (nothing is acknowledged here; this process's tier drops at once)."""
    client = importlib.import_module("slotwise.cache.client").get_cache()
    keys = importlib.import_module("slotwise.repositories.cache_keys").CacheKeys
    if client is not None:
        await client.invalidate(*keys.recruiter_changed(recruiter_id), commit_wait=False)
