"""A fixed-size latency histogram: percentiles in constant memory, however many samples.

Buckets grow geometrically (10% apart) from 10 µs to about two minutes, so a percentile is
known to within ~5% of its value with 175 integers per histogram. That is what lets the
metrics keep per-name and per-endpoint percentiles without storing the samples themselves.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable

MIN_MS = 0.01
GROWTH = 1.1
BUCKETS = 175  # MIN_MS * GROWTH**174 ~ 160 s; the last bucket also takes anything slower
_LOG_GROWTH = math.log(GROWTH)


def bucket_index(ms: float) -> int:
    """The bucket a duration falls in (0 holds everything up to ``MIN_MS``)."""
    if ms <= MIN_MS:
        return 0
    return min(BUCKETS - 1, 1 + int(math.log(ms / MIN_MS) / _LOG_GROWTH))


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
        self.add_at(bucket_index(ms), ms)

    def add_at(self, index: int, ms: float) -> None:
        """``add`` with the bucket already known (one ``log`` for several histograms)."""
        self.counts[index] += 1
        self.n += 1
        self.total_ms += ms
        if ms < self.min_ms:
            self.min_ms = ms
        if ms > self.max_ms:
            self.max_ms = ms

    def add_sorted(self, samples: list[float]) -> None:
        """``add`` for each of ``samples``, sorted ascending: one ``bucket_index`` per bucket
        they fill (found by bisection) rather than one per sample, so a batch of requests that
        took about as long costs a few calls, not one per request."""
        count = len(samples)
        if not count:
            return
        counts = self.counts
        start = 0
        while start < count:
            index = bucket_index(samples[start])
            end = bisect_right(samples, index, start, count, key=bucket_index)
            counts[index] += end - start
            start = end
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
