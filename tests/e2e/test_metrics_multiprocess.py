"""/metrics of `slotwise serve --workers 2` counts every worker's requests, whichever answers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from slotwise.observability.metrics import PUBLISH_DELAY_S
from tests import servers

ADMIN = {"Authorization": "Bearer test-admin-token"}

# Several server processes: CI's second pass (real PostgreSQL + Redis) runs these.
pytestmark = pytest.mark.real_services


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = servers.free_port()
    prom_dir = tmp_path_factory.mktemp("prom")
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(prom_dir)}
    process = servers.spawn(
        [sys.executable, "-m", "slotwise.cli", "serve", "--workers", "2", "--port", str(port)],
        env,
        subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health/live", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start within 30 s")
        yield base
    finally:
        servers.stop(process)


def unmatched_total(text: str) -> float:
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "slotwise_http_requests_total" and s.labels.get("route") == "unmatched"
    )


def test_metrics_merge_all_workers(server: str) -> None:
    pids: dict[int, int] = {}
    for _ in range(200):  # new connections until both workers have answered (bounded)
        with httpx.Client(base_url=server) as client:
            client.get("/no/such/path")
            summary = client.get("/api/metrics/summary", headers=ADMIN).json()
            pids[summary["pid"]] = summary["endpoints"].get("GET unmatched", {}).get("count", 0)
        if len(pids) == 2 and sum(pids.values()) >= 20:
            break
    assert len(pids) == 2, "one worker answered everything"
    sent = max(sum(pids.values()), 20)
    # Every scrape, whichever worker answers it, reports the requests of both (the other
    # worker publishes its batch at most PUBLISH_DELAY_S after its last request).
    time.sleep(PUBLISH_DELAY_S * 4)
    scrapes = set()
    for _ in range(6):
        with httpx.Client(base_url=server) as client:
            scrapes.add(unmatched_total(client.get("/metrics").text))
    assert scrapes == {sent}, (scrapes, pids)


def test_perf_summary_prints_a_running_servers_summary(server: str) -> None:
    from typer.testing import CliRunner

    from slotwise.cli import app

    with httpx.Client(base_url=server) as client:
        client.get("/no/such/path")
    result = CliRunner().invoke(
        app, ["perf-summary", "--url", server, "--token", "test-admin-token"], terminal_width=200
    )
    assert result.exit_code == 0, result.output
    assert "cache hit rate" in result.output and "endpoints" in result.output
    assert "test-admin-token" not in result.output

    refused = CliRunner().invoke(app, ["perf-summary", "--url", server, "--token", "wrong"])
    assert refused.exit_code == 1 and "401" in refused.output
