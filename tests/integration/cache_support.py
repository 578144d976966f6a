"""Helpers for the cache tests: entity snapshots (for "a hit equals a miss") and seeding."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect as sa_inspect

from slotwise.observability.metrics import get_metrics
from slotwise.persistence.orm import Base
from slotwise.persistence.repository.base import Page


def snapshot(value: Any) -> Any:
    """Columns and *loaded* relations of entities (recursively), for equality checks that do
    not depend on object identity. An unloaded relation is absent, so a hit that loaded more
    or less than the miss differs."""
    if isinstance(value, list | tuple):
        return [snapshot(v) for v in value]
    if isinstance(value, Page):
        return ("Page", snapshot(list(value.items)), value.total, value.limit, value.offset)
    if not isinstance(value, Base):
        return (type(value).__name__, value)
    mapper = sa_inspect(type(value))
    out: dict[str, Any] = {"__type__": type(value).__name__}
    for attr in mapper.column_attrs:
        # The type too: a StrEnum equals its value, but ``.value`` fails on the str.
        column = getattr(value, attr.key)
        out[attr.key] = (type(column).__name__, column)
    for rel in mapper.relationships:
        if rel.key in value.__dict__:
            out[rel.key] = snapshot(value.__dict__[rel.key])
    return out


def hits_misses() -> tuple[int, int]:
    metrics = get_metrics()
    return metrics.cache_hits, metrics.cache_misses
