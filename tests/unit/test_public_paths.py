"""The user's document imports from ``backend.core.*``: those paths (as ``slotwise.core.*``)
must keep exporting the same objects as the packages that now own them."""

from __future__ import annotations

import importlib

import pytest

DOCUMENT_NAMES = {
    "slotwise.core.cache": [
        "CacheConfig",
        "init_cache",
        "connect_cache",
        "disconnect_cache",
        "CacheKeys",
        "CacheTTL",
        "get_cache",
    ],
    "slotwise.core.cache_decorators": ["cached", "invalidate_cache", "CacheInvalidator"],
    "slotwise.core.query_optimization": ["QueryOptimizer", "BatchLoader", "QueryCache"],
    "slotwise.core.metrics": [
        "get_metrics",
        "PerformanceTimer",
        "timed",
        "log_performance_summary",
    ],
    "slotwise.core.uow": ["UnitOfWork"],
    "slotwise.core.result": [
        "Result",
        "Success",
        "Failure",
        "Error",
        "NotFoundError",
        "ValidationError",
        "ConflictError",
        "DatabaseError",
    ],
}


@pytest.mark.parametrize("module", sorted(DOCUMENT_NAMES))
def test_document_paths_export_the_owning_packages_objects(module: str) -> None:
    shim = importlib.import_module(module)
    for name in DOCUMENT_NAMES[module]:
        obj = getattr(shim, name)
        if not obj.__module__.startswith("slotwise"):  # a type alias (Result, Error)
            continue
        owner = importlib.import_module(obj.__module__)
        assert getattr(owner, name) is obj
        assert not obj.__module__.startswith("slotwise.core."), (name, obj.__module__)
