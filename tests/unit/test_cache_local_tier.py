"""The in-process tier: bounded by entries and bytes (LRU), a maximum age, invalidation by
Redis key through its index, the placeholder rule, and a flush that voids reads in flight."""

from __future__ import annotations

from slotwise.cache.local import LocalTier


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _put(tier: LocalTier, key: str, deps: tuple[str, ...] = (), payload: bytes = b"v") -> bool:
    mark = tier.placeholder()
    try:
        return tier.put(key, payload, deps or (f"kv:{key}",), mark)
    finally:
        tier.release(mark)


def test_least_recently_used_go_first_by_count() -> None:
    tier = LocalTier(max_entries=2)
    _put(tier, "a"), _put(tier, "b")
    assert tier.get("a") is not None  # a is now the most recent
    _put(tier, "c")
    assert tier.get("b") is None and tier.get("a") is not None and tier.get("c") is not None
    assert len(tier) == 2


def test_bounded_by_bytes_derived_values_included() -> None:
    tier = LocalTier(max_bytes=1000)
    _put(tier, "a", payload=b"x" * 300)
    _put(tier, "b", payload=b"x" * 300)
    entry = tier.get("b")
    assert entry is not None
    tier.derive("b", entry, "rendered", b"y" * 400, 400)
    assert tier.get("a") is None and tier.size_bytes <= 1000
    assert not _put(tier, "huge", payload=b"x" * 2000)


def test_every_entry_has_a_maximum_age() -> None:
    clock = Clock()
    tier = LocalTier(max_age=5.0, clock=clock)
    _put(tier, "a")
    clock.now += 4.9
    assert tier.get("a") is not None
    clock.now += 0.2
    assert tier.get("a") is None and len(tier) == 0


def test_an_invalidated_redis_key_drops_exactly_its_dependents() -> None:
    tier = LocalTier()
    _put(tier, "slots:list:1", ("ns:slots", "kv:slots:list:1"))
    _put(tier, "slots:list:2", ("ns:slots", "kv:slots:list:2"))
    _put(tier, "recruiter:1", ("ns:recruiter", "kv:recruiter:1"))
    assert tier.invalidate(["kv:slots:list:1"]) == 1
    assert tier.get("slots:list:2") is not None
    assert tier.invalidate(["ns:slots"]) == 1
    assert tier.get("recruiter:1") is not None and len(tier) == 1


def test_a_read_overtaken_by_an_invalidation_is_not_stored() -> None:
    tier = LocalTier()
    mark = tier.placeholder()
    tier.invalidate(["kv:a"])  # arrives while the read is in flight
    assert not tier.put("a", b"old", ("kv:a",), mark)
    assert tier.get("a") is None
    other = tier.placeholder()
    tier.invalidate(["kv:unrelated"])
    assert tier.put("a", b"new", ("kv:a",), other)  # unrelated keys do not void it


def test_a_flush_voids_every_read_in_flight() -> None:
    tier = LocalTier()
    _put(tier, "a")
    mark = tier.placeholder()
    tier.clear()
    assert len(tier) == 0 and tier.size_bytes == 0
    assert not tier.put("b", b"v", ("kv:b",), mark)
    assert _put(tier, "b")


def test_invalidation_marks_are_forgotten_once_no_read_can_need_them() -> None:
    tier = LocalTier()
    mark = tier.placeholder()
    tier.invalidate([f"kv:{i}" for i in range(100)])
    assert len(tier._invalidated) == 100
    tier.release(mark)
    assert tier._invalidated == {}
    tier.invalidate(["kv:x"])  # nothing in flight: nothing remembered
    assert tier._invalidated == {}
