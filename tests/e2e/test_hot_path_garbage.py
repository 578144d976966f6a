"""Requests leave no reference cycles for the collector: neither a cached GET through
FastAPI (its unit of work and session are freed by reference counting) nor one answered by
the fast path. And the app freezes its start-up objects out of the collector's scans."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from slotwise.api.app import freeze_startup_objects
from slotwise.cache.client import CacheClient
from tests.e2e.conftest import ADMIN, Api


@pytest.fixture
def saved_garbage() -> Iterator[list[object]]:
    """What the collector finds unreachable meanwhile (kept in ``gc.garbage``, not freed)."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield gc.garbage
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


async def test_cached_gets_leave_no_cycles(
    cache: CacheClient, client: httpx.AsyncClient, saved_garbage: list[object]
) -> None:
    api = Api(client)
    recruiter = await api.recruiter()
    await api.slot(recruiter["id"])
    urls = [f"/api/recruiters/{recruiter['id']}", f"/api/slots?recruiter_id={recruiter['id']}"]
    for url in urls:  # fill the cache
        assert (await client.get(url, headers=ADMIN)).status_code == 200
    gc.collect()
    saved_garbage.clear()
    for _ in range(5):
        for url in urls:
            assert (await client.get(url, headers=ADMIN)).status_code == 200
    gc.collect()
    kinds = Counter(type(o).__name__ for o in saved_garbage)
    ours = {k: n for k, n in kinds.items() if k in {"UnitOfWork", "AsyncSession", "Session"}}
    assert ours == {}


def test_freezing_moves_start_up_objects_out_of_the_scans(app: FastAPI) -> None:
    before = gc.get_freeze_count()
    freeze_startup_objects()
    assert gc.get_freeze_count() >= before
    assert gc.get_freeze_count() > 0
