"""The report turns a results document into the README's table; missing or odd figures must
not break it. No I/O beyond a temp folder for the files."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from bench import report
from bench.report import render_markdown, us, write_all
from bench.stats import compare


def _document() -> dict[str, Any]:
    list_100 = compare(
        {
            "lazy_n_plus_one": [9000.0, 9100.0],
            "selectinload": [1500.0, 1400.0],
            "joinedload": [1200.0, 1300.0],
        },
        baseline="lazy_n_plus_one",
    )
    list_100["statements"] = {"lazy_n_plus_one": 41, "selectinload": 3, "joinedload": 1}
    return {
        "meta": {
            "mode": "quick",
            "finished_at": "2026-01-01T00:00:00+00:00",
            "duration_s": 12.5,
            "machine": {
                "cpu_count": 2,
                "cpu_model": "Test CPU",
                "memory_gb": 4,
                "os": "Linux",
                "python": "3.11.7",
                "database": "postgresql",
                "database_version": "15.2",
                "redis_version": "7.0.15",
            },
            "dataset": {"recruiters": 3, "slots": 100},
            "status": {"list_100": "ok", "zipf": "skipped", "hit_cost": "failed"},
        },
        "scenarios": {
            "list_100": list_100,
            "zipf": {"skipped": "no Redis reachable"},
            "hit_cost": {"error": "RuntimeError: boom"},
            "memory": {
                "rss_mb_after_workload": {"cache_on": 110.0, "cache_off": 100.5},
                "cache_on_minus_off_mb": 9.5,
                "ratio": math.nan,
            },
        },
    }


def test_markdown_has_the_machine_and_one_row_per_scenario() -> None:
    text = render_markdown(_document())
    assert "2 CPUs (Test CPU)" in text and "PostgreSQL 15.2" in text and "Redis 7.0.15" in text
    assert "| 2 | list of 100 slots with recruiter and city |" in text
    assert "lazy_n_plus_one: 9.05 ms (41 st.)" in text
    assert "eager 7.24x faster" in text and "✅" in text
    assert "skipped: no Redis reachable" in text
    assert "failed: RuntimeError: boom" in text
    assert "+9.5 MB" in text


def test_duration_units() -> None:
    assert us(12.3) == "12 µs"
    assert us(1234.0) == "1.23 ms"
    assert us(2_500_000.0) == "2.50 s"
    assert us(math.nan) == "n/a"


def test_write_all_keeps_raw_samples_out_of_results_json(tmp_path: Path) -> None:
    write_all(_document(), tmp_path)
    results = json.loads((tmp_path / "results.json").read_text())
    assert "_samples" not in results["scenarios"]["list_100"]
    assert results["scenarios"]["memory"]["ratio"] is None  # NaN is not JSON
    samples = json.loads((tmp_path / "samples.json").read_text())
    assert samples["list_100._samples"]["joinedload"] == [1200.0, 1300.0]
    assert (tmp_path / "results.md").read_text().startswith("### slotwise benchmark")
    assert (tmp_path / "in_process.png").stat().st_size > 1000


def test_hit_cost_rows_show_ratios_and_verdicts() -> None:
    result = {
        "hit": {
            "scalar": {
                "timings": {
                    "raw_get_decode": {"median_us": 80.0},
                    "cached_decorator": {"median_us": 6.0},
                    "cached_decorator_redis_hit": {"median_us": 100.0},
                    "aiocache": {"median_us": 90.0},
                },
                "ratio_to_raw": {
                    "raw_get_decode": 1.0,
                    "cached_decorator": 0.075,
                    "cached_decorator_redis_hit": 1.25,
                    "aiocache": 1.1,
                },
            }
        },
        "invalidation": {
            "unrelated_keys": 1_000_000,
            "invalidate_us": {"empty": 90.0, "full": 99.0},
            "ratio_full_vs_empty": 1.1,
            "scan_and_delete_ms (the document's way)": {"empty": 2.0, "full": 650.0},
        },
        "db_vs_cache": {
            "timings": {"database": {"median_us": 1400.0}, "cache_hit": {"median_us": 250.0}},
            "database_vs_hit": 5.6,
        },
    }
    rows = report.rows_hit_cost(result)
    assert len(rows) == 3
    hit, invalidation, db = rows
    assert "1.25x" in hit[4] and "Redis hit ≤ 1.2x raw ❌" in hit[5]
    assert "tier hit ≤ 5 µs ❌" in hit[5] and "aiocache ✅" in hit[5]
    assert "1,000,000" in invalidation[1] and invalidation[5] == "≤ 1.5x ✅"
    assert db[4] == "5.60x faster"


def test_the_documents_per_row_n_plus_one_gets_its_own_row() -> None:
    list_100 = _document()["scenarios"]["list_100"]
    list_100["per_row_n_plus_one"] = {"variants": {"median": 26000.0}, "statements": 201}
    rows = report.rows_list_100(list_100)
    per_row = next(row for row in rows if "per row" in row[1])
    assert "201 st." in per_row[3] and "joinedload" in per_row[3]
    assert per_row[4] == "20.80x faster" and per_row[5].endswith("✅")


def _topologies(cluster_us: float, cluster_up: bool) -> dict[str, Any]:
    names = ("standalone", "cluster", "sentinel")
    cached = {"standalone": 100.0, "cluster": cluster_us, "sentinel": 95.0}
    return {
        "hit": {
            "median_us": {f"{n}:cached": cached[n] for n in names},
            "cached_vs_standalone": {n: cached[n] / 100.0 for n in names},
            "cache_available_at_end": {n: n != "cluster" or cluster_up for n in names},
        },
        "zipf": {
            "cluster": {"hit_rate_percent": 91.0, "stale_reads": 0, "checked_reads": 900},
            "sentinel": {"hit_rate_percent": 90.0, "stale_reads": 2, "checked_reads": 800},
        },
    }


def test_topology_rows_judge_the_cluster_hit_only_when_the_cache_served_it() -> None:
    [hit, cluster, sentinel] = report.rows_redis_topologies(_topologies(120.0, True))
    assert "cluster 1.20x" in hit[4] and hit[5].endswith("✅")
    assert cluster[5].endswith("✅") and sentinel[5].endswith("❌")  # 2 stale reads
    [too_slow, *_] = report.rows_redis_topologies(_topologies(140.0, True))
    assert too_slow[5].endswith("❌")
    [failed_open, *_] = report.rows_redis_topologies(_topologies(3.0, False))
    assert failed_open[5].endswith("❌") and "no hits: cluster" in failed_open[3]
