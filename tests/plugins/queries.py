"""Statement-count fixtures: ``assert_max_queries(n)`` and the N+1 detector in raise mode.

    async def test_list(assert_max_queries, make_uow):
        async with make_uow() as uow:
            with assert_max_queries(2):
                await uow.slots.list(limit=500)

Imported by ``tests/conftest.py``. The test run puts the detector in ``raise`` mode (an N+1
in a request through the ASGI app fails the test) and counts frames under ``tests/`` as
application code, so a violation names the test line that looped.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from slotwise.queries.counter import (
    QueryScope,
    add_app_root,
    install_query_recorder,
    query_scope,
)
from slotwise.queries.n_plus_one import reset_detector_config

os.environ.setdefault("SLOTWISE_N_PLUS_ONE", "raise")
reset_detector_config()
add_app_root(Path(__file__).resolve().parent.parent)

MaxQueries = Callable[[int], AbstractContextManager[QueryScope]]


@contextmanager
def max_queries(n: int, *, name: str | None = None) -> Iterator[QueryScope]:
    """Fail the test when the block executes more than ``n`` SQL statements."""
    with query_scope(name or f"assert_max_queries({n})") as scope:
        yield scope
    if scope.count > n:
        pytest.fail(f"expected at most {n} SQL statements, got {scope.count}\n{scope.describe()}")


@pytest.fixture
def assert_max_queries(engine: AsyncEngine) -> MaxQueries:
    """``with assert_max_queries(n): ...`` (sync ``with`` works around ``await``)."""
    install_query_recorder(engine)
    return max_queries


@pytest.fixture
def count_queries(engine: AsyncEngine) -> Callable[[], AbstractContextManager[QueryScope]]:
    """``with count_queries() as q: ...; q.count`` when a test compares counts itself."""
    install_query_recorder(engine)
    return lambda: query_scope("count_queries")
