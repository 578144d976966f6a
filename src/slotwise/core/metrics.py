"""Performance metrics (the user's document, section 4).

First cut: counters for cache hits/misses and bounded per-name query timings. The
observability issue extends this module (histograms, endpoints, pools, Prometheus).
"""

from __future__ import annotations

import threading
from collections import deque


class MetricsCollector:
    """Process-local metrics; every structure is bounded."""

    MAX_SAMPLES = 2048

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.cache_hits = 0
        self.cache_misses = 0
        self._queries: deque[float] = deque(maxlen=self.MAX_SAMPLES)
        self.queries_total = 0

    def record_cache_hit(self) -> None:
        with self._lock:
            self.cache_hits += 1

    def record_cache_miss(self) -> None:
        with self._lock:
            self.cache_misses += 1

    def record_query(self, name: str, duration_ms: float) -> None:
        with self._lock:
            self.queries_total += 1
            self._queries.append(duration_ms)

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


_metrics = MetricsCollector()


def get_metrics() -> MetricsCollector:
    return _metrics
