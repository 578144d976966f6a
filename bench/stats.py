"""Summaries of repeated measurements: min / median / p95 / p99, and ratios between variants.

Why interleaved rounds: a 2-core machine shared with other work drifts over a run; running
variant A, then B, then A again and comparing medians of rounds cancels most of that drift.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of already sorted values, linearly interpolated."""
    if not sorted_values:
        return math.nan
    if len(sorted_values) == 1:
        return float(sorted_values[0])
    rank = (len(sorted_values) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(sorted_values) - 1)
    weight = rank - low
    return float(sorted_values[low] * (1 - weight) + sorted_values[high] * weight)


@dataclass(frozen=True, slots=True)
class Summary:
    """Distribution of one variant's samples (in the unit the caller chose)."""

    n: int
    min: float
    median: float
    mean: float
    p95: float
    p99: float
    max: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> Summary:
        values = sorted(samples)
        if not values:
            nan = math.nan
            return cls(0, nan, nan, nan, nan, nan, nan)
        return cls(
            n=len(values),
            min=float(values[0]),
            median=percentile(values, 50),
            mean=sum(values) / len(values),
            p95=percentile(values, 95),
            p99=percentile(values, 99),
            max=float(values[-1]),
        )

    def as_dict(self) -> dict[str, float]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN when it has no meaning (so JSON and tables show it)."""
    if not denominator or math.isnan(numerator) or math.isnan(denominator):
        return math.nan
    return numerator / denominator


Variant = Callable[[], Awaitable[Any]]


async def interleaved(
    variants: Mapping[str, Variant],
    *,
    rounds: int,
    calls_per_round: int,
    warmup: int = 2,
    on_round: Callable[[], None] | None = None,
    clock: Callable[[], int] = time.perf_counter_ns,
) -> dict[str, list[float]]:
    """Time every variant in each round, rotating the order; returns µs per call per round.

    Each sample is the mean over ``calls_per_round`` calls, so timer overhead stays small
    next to calls of a few tens of microseconds. ``clock`` (ns): wall time by default;
    ``time.thread_time_ns`` counts only this thread's CPU.
    """
    names = list(variants)
    for name in names:
        for _ in range(warmup):
            await variants[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            call = variants[name]
            start = clock()
            for _ in range(calls_per_round):
                await call()
            samples[name].append((clock() - start) / 1000.0 / calls_per_round)
        if on_round is not None:
            on_round()
    return samples


def compare(samples: Mapping[str, Sequence[float]], baseline: str) -> dict[str, Any]:
    """Summaries per variant and each variant's median relative to ``baseline``'s."""
    summaries = {name: Summary.of(values) for name, values in samples.items()}
    base = summaries[baseline].median
    return {
        "unit": "us_per_call",
        "baseline": baseline,
        "variants": {name: s.as_dict() for name, s in summaries.items()},
        "ratio_to_baseline": {
            name: round(ratio(s.median, base), 3) for name, s in summaries.items()
        },
        "_samples": {name: [round(v, 3) for v in values] for name, values in samples.items()},
    }
