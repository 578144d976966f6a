"""Refresh on write: after a write's invalidation, the writer re-reads what it changed.

An entity that was just written is the one read next (the candidate's bot shows the slot it
has just booked, the admin panel the slot it approved). Without a refresh the first reader
after the write misses and loads it, and every reader arriving during that load waits for
it. A refresh is an ordinary read-through (``read_through``: token, lock, store-time check),
started by the writing process right after its invalidation executed, so it needs no rule
of its own to be correct: it stores only what the database holds after the write, under the
versions the write installed.

It runs in the background, in an empty context (no request id, no query scope of the
write), and is not counted as a read: a refresh's lookup is neither a hit nor a miss, it is
counted apart (``refreshes`` in the cache metrics).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slotwise.observability.metrics import get_metrics

log = logging.getLogger(__name__)

Read = Callable[[], Awaitable[Any]]

#: At most this many refreshes run at once per process: a burst of writes must not take the
#: database connections that requests need (each refresh holds one for a primary-key SELECT).
MAX_RUNNING = 4

#: Refreshes in flight, kept referenced until done (cancelled when the cache closes).
_RUNNING: set[asyncio.Task[None]] = set()
_REFRESHING: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "slotwise.cache.refreshing", default=False
)


def refreshing() -> bool:
    """Is the current task a refresh (its lookups are not reads)?"""
    return _REFRESHING.get()


def start(read: Read) -> bool:
    """Run ``read`` in a task of its own (nobody waits for it), unless ``MAX_RUNNING`` are
    running already: then nothing (False), and the next reader loads it as without refresh."""
    if len(_of_this_loop()) >= MAX_RUNNING:
        return False
    task = asyncio.get_running_loop().create_task(_run(read), context=contextvars.Context())
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
    return True


async def _run(read: Read) -> None:
    _REFRESHING.set(True)
    get_metrics().record_cache_refresh()
    try:
        await read()
    except Exception:  # a refresh is an optimisation: the next reader loads instead
        log.debug("cache: refresh failed", exc_info=True)


def _of_this_loop() -> list[asyncio.Task[None]]:
    """The refreshes of the running loop (a test's loop that ended may have left its own)."""
    loop = asyncio.get_running_loop()
    for task in [t for t in _RUNNING if t.get_loop().is_closed()]:
        _RUNNING.discard(task)
    return [task for task in _RUNNING if task.get_loop() is loop]


async def drain() -> None:
    """Wait for the refreshes in flight (tests, and a clean shutdown)."""
    while running := _of_this_loop():
        await asyncio.gather(*running, return_exceptions=True)


def cancel() -> None:
    """Stop the refreshes in flight (the cache is closing: its client is going away)."""
    try:
        running = _of_this_loop()
    except RuntimeError:  # no running loop: nothing of ours can be running either
        return
    for task in running:
        task.cancel()
