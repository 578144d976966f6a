"""The observability runtime of one process: what feeds the metrics, and its lifecycle.

``Observability`` ties the pieces to the live resources once they exist: SQL timing and the
``db`` pool probe on the engine, the ``redis`` pool probe on the cache's client, a background
sampler that keeps the pool gauges current, and (when OTEL_* asks for it) the tracer
provider with SQLAlchemy and redis spans. ``stop()`` undoes what ``start()`` did, so a test
or a worker leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from slotwise.observability import prometheus, tracing
from slotwise.observability.metrics import MetricsCollector, get_metrics
from slotwise.observability.pool_usage import engine_pool_probe, redis_client_probe
from slotwise.observability.query_timing import instrument_engine, uninstrument_engine

log = logging.getLogger("slotwise.observability")

#: How often the pool gauges are refreshed between scrapes.
POOL_SAMPLE_SECONDS = 2.0


class Observability:
    def __init__(
        self,
        metrics: MetricsCollector | None = None,
        redis_client: Callable[[], Any] = lambda: None,
    ) -> None:
        """``redis_client`` returns the cache's redis client while it is connected (the pool
        probe reads its pool); the process's cache is the application's to know."""
        self.metrics = metrics or get_metrics()
        self._redis_client = redis_client
        self.tracer_provider: Any = None
        self._engine: AsyncEngine | None = None
        self._sampler: asyncio.Task[None] | None = None

    def enable_tracing(self, exporter: Any = None) -> Any:
        """Create the tracer provider (``exporter``: tests pass an in-memory one)."""
        self.tracer_provider = tracing.build_tracer_provider(exporter)
        return self.tracer_provider

    async def start(self, engine: AsyncEngine) -> None:
        self._engine = engine
        instrument_engine(engine, self.metrics)
        self.metrics.register_pool("db", engine_pool_probe(engine))
        self.metrics.register_pool("redis", redis_client_probe(self._redis_client))
        if self.tracer_provider is not None:
            tracing.instrument_clients(self.tracer_provider, engine)
        self._sampler = asyncio.create_task(self._sample_pools(), name="slotwise-pool-sampler")

    async def _sample_pools(self) -> None:
        while True:
            self.metrics.sample_pools()
            await asyncio.sleep(POOL_SAMPLE_SECONDS)

    async def stop(self) -> None:
        if self._sampler is not None:
            self._sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sampler
            self._sampler = None
        if self._engine is not None:
            uninstrument_engine(self._engine)
            self._engine = None
        self.metrics.publish()  # this worker's last batch, before its gauges are dropped
        self.metrics.unregister_pool("db")
        self.metrics.unregister_pool("redis")
        if self.tracer_provider is not None:
            tracing.shutdown(self.tracer_provider)
        prometheus.mark_worker_dead()
