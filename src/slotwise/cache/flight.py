"""Single-flight: concurrent misses of one key in one process share one load.

Flights are keyed by (key, token): the token is the set of cache versions (and guards) the
miss saw, so a caller that arrived after an invalidation (a new token) never joins a load
that started before it. A finished flight is kept for a moment, because a caller whose miss
was answered just before the value was stored may only get to look for the flight after the
load is done.

Only a stored payload lingers; a Failure is handed to the callers already waiting and no
others (Failures are never cached). What followers receive is session-independent: the
encoded payload (each follower rebuilds entities in its own session) or the leader's Result
when there is nothing to share (a Failure, a None, a value the codec does not cache).
``None`` tells a follower to load itself; so does a leader that has not landed within
``CacheConfig.flight_wait`` (followers never wait on a load without a bound).
"""

from __future__ import annotations

import asyncio
from typing import Any

Shared = bytes | Any | None

#: How long a finished flight still answers callers with the same token (seconds).
LINGER = 1.0
_MAX_FLIGHTS = 4096


class SingleFlight:
    def __init__(self) -> None:
        self._flights: dict[tuple[str, str], asyncio.Future[Shared]] = {}

    def join(self, key: str, token: str) -> asyncio.Future[Shared] | None:
        """The flight of (key, token) if one is on or just ended; None makes the caller lead."""
        return self._flights.get((key, token))

    def lead(self, key: str, token: str) -> asyncio.Future[Shared]:
        future: asyncio.Future[Shared] = asyncio.get_running_loop().create_future()
        if len(self._flights) < _MAX_FLIGHTS:
            self._flights[(key, token)] = future
        return future

    def land(self, key: str, token: str, future: asyncio.Future[Shared], value: Shared) -> None:
        """Hand ``value`` to the followers and forget the flight shortly after (once: a
        second call, from the leader's clean-up, does nothing)."""
        if future.done():
            return
        future.set_result(value)
        flight = (key, token)

        def forget() -> None:
            if self._flights.get(flight) is future:
                del self._flights[flight]

        if isinstance(value, bytes):
            asyncio.get_running_loop().call_later(LINGER, forget)
        else:
            forget()  # a Failure or None is for the callers already waiting, not later ones
