"""The in-process tier: a bounded LRU of cache entries in front of Redis, per worker.

An entry is what a Redis hit returned for one logical key (the payload bytes), plus what
was derived from it on this process (the decoded payload, rendered response bytes), plus the
Redis keys whose change makes it stale: its version keys and dep keys. Redis tells the
process about those changes (``tracking``); each one drops every entry that depends on the
changed key, through an index from Redis key to logical keys.

The Redis docs' rules for client-side caching, kept here:

* **a placeholder before each read**: ``placeholder()`` is taken before the Redis read; an
  invalidation of any of the entry's keys, or a flush, after it voids the later ``put`` (the
  reply may predate the write the invalidation announces);
* **the whole tier dropped** when the invalidation connection is lost or stops answering
  (``clear``, called by the tracker);
* **a maximum age on every entry**, whatever Redis says (``max_age``).

Bounded by entries and by bytes (payload plus derived bytes); least recently used go first.
"""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Entry:
    payload: bytes
    deps: tuple[str, ...]
    stored_at: float
    size: int = 0
    #: What this process derived from the payload (decoded payload, rendered bodies).
    derived: dict[str, Any] = field(default_factory=dict)


class LocalTier:
    def __init__(
        self,
        *,
        max_entries: int = 10_000,
        max_bytes: int = 64 * 2**20,
        max_age: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_age = max_age
        self._clock = clock
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._by_dep: dict[str, set[str]] = {}
        self._bytes = 0
        self._seq = itertools.count(1)
        #: The sequence number of the latest invalidation of each Redis key, kept only while
        #: a read that started before it may still be in flight (``_pending``).
        self._invalidated: dict[str, int] = {}
        self._flushed = 0
        self._last = 0
        self._pending: dict[int, int] = {}
        #: Entries handed out (tests and the benchmark read it).
        self.hits = 0

    # --- reads ---------------------------------------------------------------------------

    def get(self, key: str) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self._clock() - entry.stored_at >= self.max_age:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    # --- filling -------------------------------------------------------------------------

    def placeholder(self) -> int:
        """Taken before a Redis read whose result may be ``put``: the current sequence."""
        mark = self._last
        self._pending[mark] = self._pending.get(mark, 0) + 1
        return mark

    def release(self, mark: int) -> None:
        """The read of ``mark`` is over (stored or not)."""
        left = self._pending.get(mark, 0) - 1
        if left > 0:
            self._pending[mark] = left
        else:
            self._pending.pop(mark, None)
            self._forget_old()

    def put(self, key: str, payload: bytes, deps: Iterable[str], mark: int) -> bool:
        """Store what a read that took ``mark`` found, unless something it depends on was
        invalidated (or the tier flushed) since. The reader releases ``mark`` afterwards."""
        deps = tuple(deps)
        if self._flushed > mark or any(self._invalidated.get(d, 0) > mark for d in deps):
            return False
        size = len(payload) + len(key) + 64 * (1 + len(deps))
        if size > self.max_bytes:
            return False
        self._drop(key)
        self._entries[key] = Entry(payload, deps, self._clock(), size)
        self._bytes += size
        for dep in deps:
            self._by_dep.setdefault(dep, set()).add(key)
        self._evict()
        return True

    def derive(self, key: str, entry: Entry, name: str, value: Any, size: int) -> None:
        """Keep ``value`` (decoded or rendered from ``entry``) with it, counted in bytes."""
        if self._entries.get(key) is not entry or name in entry.derived:
            return
        entry.derived[name] = value
        entry.size += size
        self._bytes += size
        self._evict()

    # --- invalidation --------------------------------------------------------------------

    def invalidate(self, redis_keys: Iterable[str]) -> int:
        """Redis says these keys changed: drop every entry depending on one; reads in flight
        that depend on one will not be stored. Returns the number of entries dropped."""
        seq = self._last = next(self._seq)
        dropped = 0
        track = bool(self._pending)
        for redis_key in redis_keys:
            if track:
                self._invalidated[redis_key] = seq
            for key in self._by_dep.pop(redis_key, ()):
                dropped += self._drop(key)
        return dropped

    def clear(self) -> None:
        """Drop everything (the invalidation stream was interrupted); reads in flight too."""
        self._last = self._flushed = next(self._seq)
        self._entries.clear()
        self._by_dep.clear()
        self._invalidated.clear()
        self._bytes = 0

    # --- internals -----------------------------------------------------------------------

    def _drop(self, key: str) -> int:
        entry = self._entries.pop(key, None)
        if entry is None:
            return 0
        self._bytes -= entry.size
        for dep in entry.deps:
            keys = self._by_dep.get(dep)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_dep[dep]
        return 1

    def _evict(self) -> None:
        while self._entries and (
            len(self._entries) > self.max_entries or self._bytes > self.max_bytes
        ):
            oldest = next(iter(self._entries))
            self._drop(oldest)

    def _forget_old(self) -> None:
        """Invalidation marks older than every read in flight can void nothing any more."""
        if not self._invalidated:
            return
        if not self._pending:
            self._invalidated.clear()
            return
        oldest = min(self._pending)
        stale = [k for k, seq in self._invalidated.items() if seq <= oldest]
        for k in stale:
            del self._invalidated[k]
