"""A tiny run of the benchmark harness: that it sets up, measures, reports and cleans up.

Not a timing test: speed claims belong in the benchmark's own table. What is asserted here
is structure (files, statement counts, no failed scenario) and, on the real services, the
correctness figure the benchmark exists to show: zero stale reads across two API workers.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bench import modes
from bench.context import BenchOptions
from bench.processes import LoadGenerator, ceiling_server
from bench.runner import run_bench
from bench.scenarios import SCENARIOS

TINY = replace(
    modes.QUICK,
    name="tiny",
    recruiters=3,
    days=3,
    rounds=2,
    fetch_calls=2,
    repeated_reads=3,
    http_rounds=1,
    http_duration=0.3,
    http_concurrency=2,
    http_sequential=5,
    zipf_duration=2.0,
    zipf_concurrency=4,
    zipf_slots=20,
    invalidation_keys=1000,
)


async def test_harness_runs_in_process_scenarios_and_writes_outputs(tmp_path: Path) -> None:
    options = BenchOptions(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}",
        no_redis=True,
        out=tmp_path / "out",
        only=frozenset({"list_100", "single_fetch_repository", "memory"}),
        mode=TINY,
    )
    document = await run_bench(options, SCENARIOS)

    status = document["meta"]["status"]
    assert status["list_100"] == "ok"
    assert status["single_fetch_repository"] == "skipped"  # no Redis: skipped, not failed
    assert status["memory"] == "skipped"
    statements = document["scenarios"]["list_100"]["statements"]
    assert statements["joinedload"] == 1
    assert statements["selectinload"] == 3
    assert statements["lazy_n_plus_one"] > 3
    out = tmp_path / "out"
    results = json.loads((out / "results.json").read_text())
    assert results["meta"]["machine"]["database"] == "sqlite"
    assert results["meta"]["dataset"]["slots"] > 0
    assert "| 2 | list of 100 slots" in (out / "results.md").read_text()
    assert (out / "in_process.png").stat().st_size > 1000


async def test_load_generator_drives_the_ceiling_app(tmp_path: Path) -> None:
    server = ceiling_server(env=None, log_dir=tmp_path)  # type: ignore[arg-type]
    await server.start()
    try:
        async with LoadGenerator() as loadgen:
            result = await loadgen.run(
                {
                    "kind": "http",
                    "host": "127.0.0.1",
                    "port": server.port,
                    "paths": ["/api/constant"],
                    "concurrency": 3,
                    "count": 60,
                }
            )
    finally:
        server.stop()
    assert result["requests"] == 60
    assert result["errors"] == 0
    assert result["statuses"] == {"200": 60}
    assert len(result["latency_ms"]) == 60


@pytest.mark.real_services
async def test_every_scenario_runs_on_the_real_services(tmp_path: Path) -> None:
    import os

    options = BenchOptions(
        redis_url=os.environ["SLOTWISE_TEST_REDIS_URL"],  # its own key prefix, removed after
        out=tmp_path / "out",
        mode=TINY,
    )  # no database_url: the benchmark creates (and drops) a PostgreSQL database of its own
    document = await run_bench(options, SCENARIOS)

    status = document["meta"]["status"]
    failed = {k: document["scenarios"][k] for k, v in status.items() if v == "failed"}
    assert not failed
    assert document["meta"]["database"] == "postgresql"
    zipf = document["scenarios"]["zipf"]
    if "skipped" not in zipf:
        assert zipf["checked_reads"] > 0
        assert zipf["stale_reads"] == 0, zipf["stale_examples"]
        assert zipf["stale_embedded_reads"] == 0, zipf["stale_examples"]
