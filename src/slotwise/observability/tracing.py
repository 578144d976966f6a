"""Optional OpenTelemetry tracing (FastAPI, SQLAlchemy, redis), switched by OTEL_* variables.

Off by default. It turns on when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or its ``_TRACES_``
variant) or ``OTEL_TRACES_EXPORTER`` is set, unless ``OTEL_SDK_DISABLED=true`` or
``OTEL_TRACES_EXPORTER=none``. When off, none of the SDK, exporters or instrumentations is
imported (they live in the ``otel`` extra): no import time, memory or per-request work.
Service name and resource attributes come from ``OTEL_SERVICE_NAME`` /
``OTEL_RESOURCE_ATTRIBUTES`` (default service name: ``slotwise``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger("slotwise.tracing")

#: Paths never traced (scrapes and probes would drown the real traffic).
EXCLUDED_URLS = "/metrics,/health"


def tracing_requested(env: Mapping[str, str] | None = None) -> bool:
    """Whether the standard OTEL_* variables ask for traces."""
    env = os.environ if env is None else env
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporters == "none":
        return False
    return bool(
        exporters
        or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def build_tracer_provider(exporter: SpanExporter | None = None) -> TracerProvider:
    """A provider exporting to ``exporter`` (tests: in-memory, synchronously) or to the
    exporters OTEL_TRACES_EXPORTER names (default ``otlp``, over HTTP; also ``console``)."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SimpleSpanProcessor,
    )

    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME") or "slotwise"})
    provider = TracerProvider(resource=resource)
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        return provider
    names = os.environ.get("OTEL_TRACES_EXPORTER", "otlp") or "otlp"
    for name in {n.strip().lower() for n in names.split(",") if n.strip()}:
        if name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        elif name == "console":
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        else:
            log.warning("unsupported OTEL_TRACES_EXPORTER %r ignored", name)
    return provider


def instrument_app(app: FastAPI, provider: TracerProvider) -> None:
    """Server spans for every request (call before the app serves its first request)."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls=EXCLUDED_URLS)


def instrument_clients(provider: TracerProvider, engine: AsyncEngine | None) -> None:
    """Client spans for SQL statements (on ``engine``) and Redis commands (process-wide)."""
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    if engine is not None:
        SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine, tracer_provider=provider)
    RedisInstrumentor().instrument(tracer_provider=provider)


def uninstrument_clients() -> None:
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    SQLAlchemyInstrumentor().uninstrument()
    RedisInstrumentor().uninstrument()


def shutdown(provider: Any) -> None:
    """Flush and stop the exporters (pending spans are sent)."""
    uninstrument_clients()
    provider.shutdown()
