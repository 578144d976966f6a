"""deploy/: the alert rules and the dashboard query only series that /metrics exports, cover
the document's checklist, and pass promtool's rule check and unit tests."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from slotwise.observability import prometheus
from slotwise.observability.metrics import MetricsCollector, PoolUsage

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
ALERT_TESTS = DEPLOY / "prometheus" / "alerts_test.yml"
DASHBOARD = DEPLOY / "grafana" / "slotwise-dashboard.json"
SERIES = re.compile(r"\bslotwise_[a-z0-9_]+\b")

CHECKLIST = {
    "SlotwiseCacheHitRateLow": ("slotwise_cache_hits_total", "< 0.70"),
    "SlotwiseSlowQueriesHigh": ("slotwise_db_slow_queries_total", "> 0.05"),
    "SlotwiseAverageQueryTimeHigh": ("slotwise_db_query_duration_seconds_sum", "> 0.100"),
    "SlotwiseRequestLatencyP95High": ("slotwise_http_request_duration_seconds_bucket", "> 0.5"),
    "SlotwiseDbPoolSaturated": ('slotwise_pool_usage_ratio{pool="db"}', "> 0.8"),
    "SlotwiseRedisPoolSaturated": ('slotwise_pool_usage_ratio{pool="redis"}', "> 0.8"),
}


def rules() -> list[dict[str, object]]:
    doc = yaml.safe_load(ALERTS.read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    doc = json.loads(DASHBOARD.read_text())
    return [t["expr"] for panel in doc["panels"] for t in panel["targets"]]


def test_exported_series_list_matches_a_real_scrape() -> None:
    metrics = MetricsCollector(slow_query_threshold_ms=1.0)
    metrics.record_cache_hit()
    metrics.record_cache_miss()
    metrics.record_query("SELECT slots", 5.0, operation="SELECT")
    metrics.record_request("GET", "/api/slots", 200, 3.0)
    metrics.record_operation("op", 1.0)
    metrics.register_pool("db", lambda: PoolUsage(1, 10))
    metrics.sample_pools()
    prometheus.set_cache_topology("standalone", ("127.0.0.1:6379",))
    text = prometheus.render_latest().decode()
    scraped = {
        s.name
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name.startswith("slotwise_")
    }
    assert scraped >= prometheus.EXPORTED_SERIES
    assert {n for n in scraped if not n.endswith("_created")} <= prometheus.EXPORTED_SERIES


def test_every_checklist_item_has_its_alert() -> None:
    by_name = {rule["alert"]: rule for rule in rules()}
    for alert, (series, comparison) in CHECKLIST.items():
        expr = " ".join(str(by_name[alert]["expr"]).split())
        assert series in expr and expr.endswith(comparison), (alert, expr)
        assert by_name[alert]["labels"]["severity"] in {"warning", "critical"}  # type: ignore[index]


@pytest.mark.parametrize("source", ["alerts", "dashboard"])
def test_expressions_reference_only_exported_series(source: str) -> None:
    exprs = [str(r["expr"]) for r in rules()] if source == "alerts" else dashboard_exprs()
    assert exprs
    for expr in exprs:
        used = set(SERIES.findall(expr))
        assert used, expr
        assert used <= prometheus.EXPORTED_SERIES, (expr, used - prometheus.EXPORTED_SERIES)
        assert expr.count("(") == expr.count(")"), expr


def test_dashboard_panels_cover_the_checklist() -> None:
    joined = "\n".join(dashboard_exprs())
    for series in (
        "slotwise_cache_hits_total",
        "slotwise_db_slow_queries_total",
        "slotwise_db_query_duration_seconds_sum",
        "slotwise_http_request_duration_seconds_bucket",
        "slotwise_pool_usage_ratio",
    ):
        assert series in joined


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs promtool (Debian package 'prometheus'; .ci/run installs it)")
        pytest.skip("promtool not installed (apt-get install prometheus); CI runs this")
    return path


def test_promtool_accepts_the_rules() -> None:
    result = subprocess.run(
        [promtool(), "check", "rules", str(ALERTS)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rule_unit_tests_pass() -> None:
    result = subprocess.run(
        [promtool(), "test", "rules", str(ALERT_TESTS)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ALERT_TESTS.parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr
