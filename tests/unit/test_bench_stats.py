"""The benchmark's arithmetic: percentiles, summaries, interleaving, ratios, the Zipf sampler
and the stale-read window rule. No I/O."""

from __future__ import annotations

import math
import random
from collections import Counter

from bench.stats import Summary, compare, interleaved, percentile, ratio
from bench.zipf import ZipfSampler, _quiet, slot_state


def test_percentile_interpolates_between_ranks() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 50) == 3.0
    assert percentile(values, 100) == 5.0
    assert percentile(values, 25) == 2.0
    assert percentile([10.0, 20.0], 50) == 15.0
    assert math.isnan(percentile([], 50))


def test_summary_of_samples() -> None:
    s = Summary.of([5.0, 1.0, 3.0, 2.0, 4.0])
    assert (s.n, s.min, s.median, s.max, s.mean) == (5, 1.0, 3.0, 5.0, 3.0)
    assert 4.0 < s.p95 <= 5.0
    assert Summary.of([]).n == 0


def test_ratio_is_nan_when_meaningless() -> None:
    assert ratio(10.0, 4.0) == 2.5
    assert math.isnan(ratio(1.0, 0.0))
    assert math.isnan(ratio(math.nan, 1.0))


async def test_interleaved_rotates_the_order_and_counts_every_call() -> None:
    order: list[str] = []

    def variant(name: str):  # type: ignore[no-untyped-def]
        async def call() -> None:
            order.append(name)

        return call

    rounds = []
    samples = await interleaved(
        {"a": variant("a"), "b": variant("b"), "c": variant("c")},
        rounds=3,
        calls_per_round=2,
        warmup=0,
        on_round=lambda: rounds.append(1),
    )
    assert order == ["a", "a", "b", "b", "c", "c", "b", "b", "c", "c", "a", "a",
                     "c", "c", "a", "a", "b", "b"]  # fmt: skip
    assert {k: len(v) for k, v in samples.items()} == {"a": 3, "b": 3, "c": 3}
    assert len(rounds) == 3


def test_compare_reports_ratios_to_the_baseline() -> None:
    out = compare({"slow": [10.0, 12.0, 11.0], "fast": [2.0, 2.2, 2.1]}, baseline="slow")
    assert out["variants"]["slow"]["median"] == 11.0
    assert out["ratio_to_baseline"]["slow"] == 1.0
    assert out["ratio_to_baseline"]["fast"] == round(2.1 / 11.0, 3)
    assert out["_samples"]["fast"] == [2.0, 2.2, 2.1]


def test_zipf_sampler_favours_the_head() -> None:
    sampler = ZipfSampler(100, 1.1, random.Random(1))
    counts = Counter(sampler.draw() for _ in range(20_000))
    assert set(counts) <= set(range(100))
    assert counts[0] > counts[1] > counts[10] > counts.get(90, 0)
    # With s = 1.1 over 100 items the top 10 take well over half of the draws.
    assert sum(counts[i] for i in range(10)) > 10_000


def test_a_read_is_checked_only_when_no_write_overlapped_it() -> None:
    assert _quiet((3, 3), (3, 3))  # nothing in flight before, nothing started during
    assert not _quiet((4, 3), (4, 4))  # a write was in flight when the read began
    assert not _quiet((3, 3), (4, 3))  # a write began during the read
    assert not _quiet((3, 3), (4, 4))  # a write began and finished during the read


def test_slot_state_is_status_and_candidate_name() -> None:
    assert slot_state({"status": "free", "candidate": None}) == ("free", None)
    booked = {"status": "pending", "candidate": {"name": "bench-7", "telegram_id": 1}}
    assert slot_state(booked) == ("pending", "bench-7")


def test_the_zipf_oracle_invalidates_exactly_what_a_write_changed() -> None:
    from bench.zipf import oracle_hit_rate

    trace = [
        ("r", ("slot", 1)),  # hit (warm)
        ("w", ("slot", 1)),
        ("r", ("slot", 1)),  # miss, then cached again
        ("r", ("slot", 1)),  # hit
        ("r", ("slot", 2)),  # hit: another slot's write left it alone
        ("w", ("recruiter", 10)),  # drops recruiter 10 and its slots 1 and 2, not slot 3
        ("r", ("slot", 2)),  # miss
        ("r", ("slot", 3)),  # hit
        ("r", ("recruiter", 10)),  # miss
    ]
    assert oracle_hit_rate(trace, {1: 10, 2: 10, 3: 11}, [10, 11]) == round(100 * 4 / 7, 2)
    assert oracle_hit_rate([], {}, []) is None
