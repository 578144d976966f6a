"""A circuit breaker for the cache: an outage costs a few timeouts, not one per request.

Closed: calls go through; ``threshold`` failures in a row open it. Open: calls are refused at
once (the caller goes to the database) for ``reset_after`` seconds. Half-open: one probe call
goes through; success closes the breaker, failure opens it again. It warns once when it opens
and once when it closes, so an outage is two log lines, not one per request.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable

log = logging.getLogger("slotwise.cache")


class BreakerState(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self,
        threshold: int = 3,
        reset_after: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.reset_after = reset_after
        self._clock = clock
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False
        self.state = BreakerState.CLOSED

    @property
    def is_closed(self) -> bool:
        return self.state is BreakerState.CLOSED

    def allow(self) -> bool:
        """May a call go to Redis now? In half-open state only one probe at a time may."""
        if self.state is BreakerState.CLOSED:
            return True
        if self.state is BreakerState.OPEN:
            if self._clock() - self._opened_at < self.reset_after:
                return False
            self.state = BreakerState.HALF_OPEN
            self._probing = False
        if self._probing:
            return False
        self._probing = True
        return True

    def record_success(self) -> None:
        if self.state is not BreakerState.CLOSED:
            log.warning("cache: Redis is reachable again; caching resumes")
        self.state = BreakerState.CLOSED
        self._failures = 0
        self._probing = False

    def record_failure(self, reason: str) -> bool:
        """Count a failure; True when this one opened the breaker (a new outage)."""
        self._failures += 1
        self._probing = False
        if self.state is BreakerState.HALF_OPEN:
            self.state = BreakerState.OPEN
            self._opened_at = self._clock()
            return False
        if self.state is BreakerState.CLOSED and self._failures >= self.threshold:
            log.warning("cache: Redis unavailable (%s); serving from the database", reason)
            self.state = BreakerState.OPEN
            self._opened_at = self._clock()
            return True
        log.debug("cache: Redis call failed (%s)", reason)
        return False

    def force_open(self, reason: str) -> None:
        """Open now (e.g. Redis was unreachable at startup)."""
        if self.state is BreakerState.CLOSED:
            log.warning("cache: Redis unavailable (%s); running uncached until it is back", reason)
        self.state = BreakerState.OPEN
        self._opened_at = self._clock()
        self._probing = False
