"""OpenTelemetry: not loaded when off; request, SQL and Redis spans when on (in memory)."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy.ext.asyncio import AsyncEngine

from slotwise.api.app import create_app
from slotwise.observability import tracing

BOT = {"Authorization": "Bearer test-bot-token"}
ADMIN = {"Authorization": "Bearer test-admin-token"}

PROBE = """
import sys
from slotwise.api.app import create_app
app = create_app()
# (FastAPI imports the opentelemetry API and redis-py the SDK's metrics part when they are
# installed; the tracing SDK, exporters and instrumentations are ours, loaded only when asked.)
ours = ("opentelemetry.sdk.trace", "opentelemetry.instrumentation", "opentelemetry.exporter")
print(app.state.observability.tracer_provider is not None,
      any(m.startswith(ours) for m in sys.modules))
"""


def run_probes(*envs: dict[str, str]) -> list[str]:
    """The probe's answer under each environment (the processes run side by side)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PROBE], env={**clean, **env}, stdout=subprocess.PIPE, text=True
        )
        for env in envs
    ]
    answers = []
    for process in processes:
        out, _ = process.communicate(timeout=60)
        assert process.returncode == 0
        answers.append(out.strip().splitlines()[-1])
    return answers


def test_off_by_default_not_loaded_and_switched_on_by_the_standard_variables() -> None:
    assert run_probes(
        {},
        {"OTEL_TRACES_EXPORTER": "console"},
        {"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "true"},
    ) == ["False False", "True True", "False False"]


async def test_request_sql_and_redis_spans(engine: AsyncEngine) -> None:
    exporter = InMemorySpanExporter()
    app = create_app()
    tracing.instrument_app(app, app.state.observability.enable_tracing(exporter))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            body = {"name": "Anna", "timezone": "UTC", "city_ids": []}
            created = await client.post("/api/recruiters", json=body, headers=ADMIN)
            assert created.status_code == 201
            path = f"/api/recruiters/{created.json()['id']}"
            for _ in range(2):  # a miss, then a hit
                assert (await client.get(path, headers=BOT)).status_code == 200
            assert (await client.get("/health/live")).status_code == 200
    spans = exporter.get_finished_spans()
    routes = {s.attributes.get("http.route") for s in spans if s.attributes}
    assert "/api/recruiters/{recruiter_id}" in routes
    assert not any(str(r).startswith("/health") for r in routes if r)
    sql = [s for s in spans if {"db.system", "db.system.name"} & set(s.attributes or {})]
    assert sql, [s.name for s in spans]
    assert {s.context.trace_id for s in sql} <= {
        s.context.trace_id for s in spans if s.kind.name == "SERVER"
    }
    assert any(s.name == "EVALSHA" for s in spans), "no Redis span"
