"""The in-process tier's control: when it may answer, how it is filled and emptied, and the
commit-wait that makes a local hit never older than an acknowledged write.

``TierControl`` joins the bounded store (``local.LocalTier``) and the invalidation stream
(``tracking.Tracker``). The cache client asks it three things:

* ``hit(key)``: the entry to answer from, only while the tracking connection's fence is
  younger than the bound ``B`` (``CACHE_L1_FENCE_MS``);
* ``placeholder()`` before a Redis read and ``fill(...)`` after a hit there (voided by any
  invalidation of the entry's keys in between);
* ``written(keys)`` when this process changed version keys (its own entries go at once) and
  ``commit_wait()`` before a write is acknowledged: ``B`` after the invalidation's reply,
  every other process has applied it or stopped answering locally.

Why and the clock assumptions: docs/cache-consistency.md, "The in-process tier".
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Callable, Iterable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import Connection

from slotwise.cache.config import CacheConfig
from slotwise.cache.local import Entry, LocalTier
from slotwise.cache.tracking import Tracker

#: Rate difference between two hosts' monotonic clocks the commit-wait allows for (NTP slews
#: by at most 500 ppm), and a fixed margin for scheduling.
CLOCK_RATE_MARGIN = 0.001
WAIT_MARGIN = 0.001
#: XFetch's beta: > 1 refreshes earlier.
XFETCH_BETA = 1.0


def tracked_prefixes(prefix: str) -> tuple[str, ...]:
    """The version-key prefixes whose writes invalidate local entries (``layout``)."""
    return (f"{prefix}:gen:", f"{prefix}:ns:", f"{prefix}:kv:")


_CONNECTION_FIELDS = ("host", "port", "db", "username", "password", "socket_connect_timeout")


def connection_kwargs(redis: Redis) -> dict[str, Any] | None:
    """How to open the tracking connection: to the very server ``redis`` talks to (TCP only;
    None, and the tier stays off, for anything else: a unix socket, fakeredis)."""
    pool = redis.connection_pool
    cls = pool.connection_class
    if not issubclass(cls, Connection) or cls.__module__.startswith("fakeredis"):
        return None
    kwargs = pool.connection_kwargs
    return {name: kwargs[name] for name in _CONNECTION_FIELDS if name in kwargs}


class TierControl:
    def __init__(
        self,
        config: CacheConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        tracker: Tracker | None = None,
    ) -> None:
        self.bound = config.l1_fence_ms / 1000.0
        self.local = LocalTier(
            max_entries=config.l1_max_entries,
            max_bytes=config.l1_max_bytes,
            max_age=config.l1_max_age,
            clock=clock,
        )
        self._clock = clock
        self._prefixes = tracked_prefixes(config.key_prefix)
        self._interval = config.l1_ping_ms / 1000.0
        self.tracker: Tracker | None = tracker
        #: Set once this client talks to a real Redis (not fakeredis): other processes of the
        #: deployment may answer from their tiers, so every write waits out the bound.
        self.tracking_seen = False
        #: What a refresh from Redis costs, seconds (XFetch's delta).
        self.refresh_cost = 0.0

    # --- lifecycle -----------------------------------------------------------------------

    def start(self, redis: Redis) -> None:
        """Track the server ``redis`` talks to (no tracker, so no local answers, when the
        connection cannot be reproduced)."""
        if self.tracker is None:
            kwargs = connection_kwargs(redis)
            if kwargs is None:
                return
            self.tracking_seen = True  # a real server: other processes may answer locally
            self.tracker = Tracker(
                kwargs,
                self._prefixes,
                self._pushed,
                bound=self.bound,
                interval=self._interval,
                clock=self._clock,
            )
        self.tracker.start()

    async def stop(self) -> None:
        if self.tracker is not None:
            await self.tracker.stop()
        self.local.clear()

    # --- reads ---------------------------------------------------------------------------

    def usable(self) -> bool:
        tracker = self.tracker
        return tracker is not None and tracker.fresh()

    def hit(self, key: str) -> Entry | None:
        """The local entry for ``key`` if the tier may answer now; None also when XFetch
        picks this caller to refresh a hot entry early (it reads Redis and refills)."""
        if not self.usable():
            return None
        entry = self.local.get(key)
        if entry is not None and self.refresh_due(entry, self.refresh_cost):
            return None
        return entry

    def measured(self, seconds: float) -> None:
        """A Redis read took ``seconds``: what refreshing an entry costs (a moving average)."""
        self.refresh_cost += (seconds - self.refresh_cost) * 0.05

    def placeholder(self) -> int | None:
        """Before a Redis read that may fill the tier (None: the tier cannot be filled now)."""
        return self.local.placeholder() if self.usable() else None

    def fill(self, key: str, payload: bytes, deps: Iterable[str], mark: int | None) -> None:
        if mark is not None:
            self.local.put(key, payload, deps, mark)

    def release(self, mark: int | None) -> None:
        if mark is not None:
            self.local.release(mark)

    def refresh_due(self, entry: Entry, delta: float) -> bool:
        """XFetch: refresh a hot entry early, with a probability that rises as its maximum
        age nears (``delta``: what a refresh costs, seconds), so one caller renews it before
        every caller finds it gone at once."""
        if delta <= 0:
            return False
        expiry = entry.stored_at + self.local.max_age
        return self._clock() - delta * XFETCH_BETA * math.log(random.random() or 1e-12) >= expiry

    # --- writes --------------------------------------------------------------------------

    def written(self, version_keys: Iterable[str]) -> None:
        """This process changed ``version_keys``: its own dependent entries go now."""
        self.local.invalidate(version_keys)

    def clear(self) -> None:
        self.local.clear()

    async def commit_wait(self) -> None:
        """Before a write is acknowledged: ``B`` (plus margins) after its invalidation's reply,
        so every process either applied it or stopped answering locally."""
        if self.tracking_seen:
            await asyncio.sleep(self.bound * (1 + CLOCK_RATE_MARGIN) + WAIT_MARGIN)

    # --- the stream ----------------------------------------------------------------------

    def _pushed(self, keys: list[str] | None) -> None:
        if keys is None:
            self.local.clear()
        else:
            self.local.invalidate(keys)
