"""Metric storage stays bounded: a million records under 10,000 names, measured in a fresh
process so nothing else in the test run moves its RSS."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import gc, json, psutil
from slotwise.observability.metrics import MetricsCollector

metrics = MetricsCollector(slow_query_threshold_ms=100.0)
for i in range(1000):  # warm up: first allocations of every structure
    metrics.record_query(f"warm {i % 10}", 1.0)
    metrics.record_request("GET", f"/warm/{i % 10}", 200, 1.0)
gc.collect()
process = psutil.Process()
before = process.memory_info().rss
for i in range(1_000_000):
    name = f"SELECT table_{i % 10_000}"
    metrics.record_query(name, (i % 997) * 0.37)
    if i % 4 == 0:
        metrics.record_request("GET", f"/route/{i % 10_000}", 200, (i % 503) * 0.5)
        metrics.record_operation(name, 1.0)
gc.collect()
after = process.memory_info().rss
summary = metrics.get_summary()
print(json.dumps({"grew_mb": (after - before) / 2**20, "total": summary["queries"]["total"],
                  "names": len(metrics._queries.items)}))
"""


def test_a_million_records_under_ten_thousand_names_stay_small() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=240
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["total"] == 1_001_000  # warm-up included
    assert result["names"] <= 200
    assert result["grew_mb"] < 50, result
