"""A fixed-size latency histogram: percentiles in constant memory, however many samples.

Buckets grow geometrically (10% apart) from 10 µs to about two minutes, so a percentile is
known to within ~5% of its value with 175 integers per histogram. That is what lets the
metrics keep per-name and per-endpoint percentiles without storing the samples themselves.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable

MIN_MS = 0.01
GROWTH = 1.1
BUCKETS = 175  # MIN_MS * GROWTH**174 ~ 160 s; the last bucket also takes anything slower
_LOG_GROWTH = math.log(GROWTH)


def bucket_by_log(ms: float) -> int:
    """The bucket a duration falls in, by its definition (0 holds everything up to
    ``MIN_MS``, then one per factor ``GROWTH``)."""
    if ms <= MIN_MS:
        return 0
    return min(BUCKETS - 1, 1 + int(math.log(ms / MIN_MS) / _LOG_GROWTH))


def _first_above(index: int) -> float:
    """The smallest float that ``bucket_by_log`` puts above bucket ``index`` (found from
    the formula's estimate, then float by float)."""
    x = MIN_MS * GROWTH**index
    while bucket_by_log(x) > index:
        x = math.nextafter(x, 0.0)
    while bucket_by_log(x) <= index:
        x = math.nextafter(x, math.inf)
    return x


#: Where each bucket ends: ``_EDGES[i]`` is the least duration past bucket ``i``. Computed
#: once from ``bucket_by_log``, so a bisection over them puts every float exactly where the
#: formula does, without a ``log`` per duration.
_EDGES = tuple(_first_above(index) for index in range(BUCKETS - 1))


def bucket_index(ms: float) -> int:
    """The bucket a duration falls in (``bucket_by_log``'s, by bisection)."""
    return bisect_right(_EDGES, ms)


def bucket_bounds(index: int) -> tuple[float, float]:
    """The (lower, upper) duration in ms of a bucket."""
    if index == 0:
        return 0.0, MIN_MS
    return MIN_MS * GROWTH ** (index - 1), MIN_MS * GROWTH**index


class Histogram:
    """Count, sum, min, max and bucket counts of durations in milliseconds."""

    __slots__ = ("counts", "max_ms", "min_ms", "n", "total_ms")

    def __init__(self) -> None:
        self.counts = [0] * BUCKETS
        self.n = 0
        self.total_ms = 0.0
        self.min_ms = math.inf
        self.max_ms = 0.0

    def add(self, ms: float) -> None:
        self.counts[bucket_index(ms)] += 1
        self.n += 1
        self.total_ms += ms
        if ms < self.min_ms:
            self.min_ms = ms
        if ms > self.max_ms:
            self.max_ms = ms

    def add_sorted(self, samples: list[float]) -> None:
        """``add`` for each of ``samples``, sorted ascending: one bisection per bucket between
        the smallest and the largest, not a bucket lookup per sample, so a batch of requests
        that took about as long costs a few C calls, not one Python call per request."""
        count = len(samples)
        if not count:
            return
        counts = self.counts
        start = 0
        last = bucket_index(samples[-1])
        for index in range(bucket_index(samples[0]), last):
            end = bisect_left(samples, _EDGES[index], start)  # the first past this bucket
            counts[index] += end - start
            start = end
        counts[last] += count - start
        self.n += count
        self.total_ms += sum(samples)
        self.min_ms = min(self.min_ms, samples[0])
        self.max_ms = max(self.max_ms, samples[-1])

    @classmethod
    def merged(cls, histograms: Iterable[Histogram]) -> Histogram:
        """One histogram holding every sample of ``histograms`` (all requests, from the
        per-endpoint ones: built when a summary asks, not kept up to date per request)."""
        total = cls()
        for hist in histograms:
            total.counts = [a + b for a, b in zip(total.counts, hist.counts, strict=True)]
            total.n += hist.n
            total.total_ms += hist.total_ms
            total.min_ms = min(total.min_ms, hist.min_ms)
            total.max_ms = max(total.max_ms, hist.max_ms)
        return total

    @property
    def avg_ms(self) -> float:
        return self.total_ms / self.n if self.n else 0.0

    def percentile(self, q: float) -> float:
        """The q-th percentile (0-100), interpolated inside its bucket and clamped to the
        observed min/max (so a single sample reports itself exactly)."""
        if self.n == 0:
            return 0.0
        rank = max(1.0, q / 100.0 * self.n)
        seen = 0
        for index, count in enumerate(self.counts):
            if count and seen + count >= rank:
                low, high = bucket_bounds(index)
                value = low + (high - low) * (rank - seen) / count
                return min(max(value, self.min_ms), self.max_ms)
            seen += count
        return self.max_ms  # pragma: no cover - rank never exceeds n
