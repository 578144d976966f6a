"""How big and how long: the quick mode (a CI smoke run, < 3 min on 2 cores) and the full one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Mode:
    name: str
    recruiters: int  # demo recruiters to seed (about 110 slots each over 3 weeks)
    days: int
    rounds: int  # in-process interleaved rounds
    fetch_calls: int  # calls per round, single fetch
    repeated_reads: int  # the document's "repeated reads": 1 miss + (n - 1) hits
    http_rounds: int
    http_duration: float  # seconds per variant per round
    http_concurrency: int
    http_sequential: int  # requests per round, HTTP single fetch
    zipf_duration: float
    zipf_concurrency: int
    zipf_slots: int  # free slots the Zipf workload spreads over
    invalidation_keys: int  # unrelated keys for the invalidation test (issue 5)


QUICK = Mode(
    name="quick",
    recruiters=30,
    days=14,
    rounds=7,
    fetch_calls=40,
    repeated_reads=10,
    http_rounds=2,
    http_duration=1.5,
    http_concurrency=16,
    http_sequential=100,
    zipf_duration=10.0,
    zipf_concurrency=16,
    zipf_slots=400,
    invalidation_keys=100_000,
)

FULL = Mode(
    name="full",
    recruiters=120,
    days=21,
    rounds=25,
    fetch_calls=200,
    repeated_reads=10,
    http_rounds=4,
    http_duration=5.0,
    http_concurrency=32,
    http_sequential=400,
    zipf_duration=60.0,
    zipf_concurrency=32,
    zipf_slots=3000,
    invalidation_keys=1_000_000,
)
