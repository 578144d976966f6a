"""Are writes landing? A per-process write lease: hits are served only while it is fresh.

A Redis that answers reads but refuses or stalls writes (READONLY, MISCONF, ``CLIENT PAUSE
WRITE``) cannot take an invalidation, so a hit could be older than an acknowledged write.
Each process therefore proves, at least every ``PROBE_EVERY`` seconds, that a write lands (a
``DEL`` of a probe key: refused exactly when an invalidation would be, allowed when Redis is
out of memory, like the invalidation's own fallback) and serves hits only while its latest
successful write was *sent* less than ``LEASE`` seconds ago. A writer retries its
invalidation for ``WRITER_PATIENCE`` (> ``LEASE``) before it acknowledges, so by the time it
gives up every process has stopped serving hits.

A process whose writes resume after a gap longer than ``RESET_GAP`` (< ``WRITER_PATIENCE``)
may have missed an invalidation another process could not deliver: it starts a new
generation before its next hit. Any successful write renews the lease too.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import sys
import time
import weakref
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger("slotwise.cache")

LEASE = 0.5
PROBE_EVERY = 0.15
RESET_GAP = 0.8
#: How long a writer keeps retrying an invalidation Redis refuses before it acknowledges.
WRITER_PATIENCE = 1.0


class Probing(Protocol):
    lease: WriteLease

    async def probe(self) -> None: ...


class WriteLease:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        #: When the latest write that landed was sent (None: none yet).
        self.last_ok: float | None = None
        self._task: asyncio.Task[None] | None = None
        self._flight: asyncio.Future[None] | None = None

    def now(self) -> float:
        return self._clock()

    def fresh(self) -> bool:
        """May a hit be served now?"""
        last = self.last_ok
        return last is not None and self._clock() - last < LEASE

    def renew(self, sent: float) -> bool:
        """A write sent at ``sent`` landed. True when it ends a gap long enough for an
        invalidation to have been lost (the caller starts a new generation)."""
        last = self.last_ok
        if last is not None and sent <= last:
            return False
        self.last_ok = sent
        return last is not None and sent - last > RESET_GAP

    def ensure_probing(self, owner: Probing) -> None:
        """Run ``owner.probe()`` every ``PROBE_EVERY`` seconds on the running loop, for as long
        as ``owner`` lives (started once; a client nobody closes does not probe forever)."""
        task = self._task
        loop = asyncio.get_running_loop()
        if task is not None and not task.done() and task.get_loop() is loop:
            return
        self._task = loop.create_task(
            _probe_loop(weakref.ref(owner)), name="cache-probe", context=contextvars.Context()
        )

    async def renew_now(self, owner: Probing) -> None:
        """Probe now (once for every caller waiting): the lease has lapsed."""
        flight = self._flight
        if flight is None or flight.done() or flight.get_loop() is not asyncio.get_running_loop():
            flight = self._flight = asyncio.ensure_future(owner.probe())
        await asyncio.shield(flight)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None or task.done():
            return
        if task.get_loop() is not asyncio.get_running_loop():
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _untraced() -> contextlib.AbstractContextManager[object]:
    """The probe is no request's work: keep it out of traces (it would flood them). Tracing
    is loaded only when switched on, so only then is there anything to suppress."""
    utils: Any = sys.modules.get("opentelemetry.instrumentation.utils")
    return utils.suppress_instrumentation() if utils is not None else contextlib.nullcontext()


async def _probe_loop(owner: weakref.ref[Probing]) -> None:
    current = asyncio.current_task()
    while True:
        client = owner()
        if client is None or client.lease._task is not current:
            return  # the client is gone, or probes from another loop now (one loop at a time)
        try:
            with _untraced():
                await client.probe()
        except Exception:  # the probe reports to the breaker itself; never die
            log.debug("cache: write probe failed", exc_info=True)
        del client
        if current is not None and current.cancelling():
            return  # a cancellation the Redis client swallowed
        await asyncio.sleep(PROBE_EVERY)
