"""Invalidations pushed by Redis, and the fence that bounds how old a local hit can be.

One dedicated RESP3 connection per process runs ``CLIENT TRACKING ON BCAST`` on the cache's
version-key prefixes (generation shards, namespaces, keys): every write of a version key,
by any process, is pushed here as ``["invalidate", [keys]]`` and drops the local entries
that depend on it (``LocalTier.invalidate``). redis-py's asyncio parser hands pushes to
``set_invalidation_push_handler`` while it reads the next reply on the connection.

**The fence.** The same connection sends a PING every ``interval`` seconds. A PONG is read
only after every push Redis wrote on the connection before it, so once the PONG of a PING
is read, every invalidation Redis executed before it processed that PING has been applied
here, except one caveat: BCAST invalidations are written at the end of Redis' event-loop
iteration (``beforeSleep``), after replies produced in the same iteration. A write executed
in the PING's iteration, before the PING, may thus arrive after its PONG. So a PING's fence
is only established by the PONG of the *next* PING (sent after the first PONG was read, so
processed in a later iteration, after that flush). ``fence`` is the send time of the latest
PING whose successor's PONG has been read: every invalidation executed before ``fence`` has
been applied. ``fresh()`` is ``now - fence < bound``: the tier serves only then.

**Commit-wait.** A writer acknowledges ``bound`` after its invalidation's reply: a read that
starts after the acknowledgement starts at least ``bound`` after the write executed, so a
process whose fence is younger than ``bound`` has applied it (see docs/cache-consistency.md
for the argument and the clock assumptions).

**Loss.** Any error, a PONG not back within ``patience``, or a reconnect drops the whole
tier, and nothing is served locally until two fresh PONGs have been read again. A PONG
slower than ``bound`` but within ``patience`` only lets the fence age: no local answers
meanwhile, no flush.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from redis.asyncio.connection import Connection

log = logging.getLogger("slotwise.cache")


class Tracker:
    def __init__(
        self,
        connection_kwargs: dict[str, Any],
        prefixes: Iterable[str],
        on_invalidate: Callable[[list[str] | None], None],
        *,
        bound: float = 0.02,
        interval: float = 0.005,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        kwargs = {k: v for k, v in connection_kwargs.items() if k not in ("protocol",)}
        self._kwargs = {**kwargs, "protocol": 3}
        self.prefixes = tuple(prefixes)
        self._on_invalidate = on_invalidate
        self.bound = bound
        self.interval = interval
        #: A PONG slower than this means the connection stopped answering: it is dropped
        #: (a PONG slower than ``bound`` only lets the fence age, so nothing is answered
        #: locally meanwhile).
        self.patience = max(10 * bound, 0.25)
        self._clock = clock
        self.fence: float | None = None
        self._task: asyncio.Task[None] | None = None
        self.connected = False
        self.invalidations = 0

    def fresh(self) -> bool:
        fence = self.fence
        return fence is not None and self._clock() - fence < self.bound

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="cache-tracking")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._lost()

    def _lost(self) -> None:
        self.fence = None
        self._on_invalidate(None)
        self.connected = False

    async def _push(self, message: list[Any]) -> None:
        keys = message[1] if len(message) > 1 else None
        self.invalidations += 1
        if keys is None:
            self._on_invalidate(None)  # FLUSHDB / FLUSHALL: everything
            return
        self._on_invalidate([k.decode() if isinstance(k, bytes) else k for k in keys])

    async def _run(self) -> None:
        backoff = 0.05
        while not _cancelling():
            conn = Connection(**self._kwargs)
            try:
                await self._serve(conn)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any trouble: nothing local until fenced again
                log.warning("cache: invalidation stream lost (%s); local tier dropped", exc)
            finally:
                self._lost()
                with contextlib.suppress(Exception):
                    await conn.disconnect()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 1.0)

    async def _serve(self, conn: Connection) -> None:
        await conn.connect()  # type: ignore[no-untyped-call]
        parser: Any = conn._parser
        parser.set_invalidation_push_handler(self._push)
        args: list[str] = ["CLIENT", "TRACKING", "ON", "BCAST"]
        for prefix in self.prefixes:
            args += ["PREFIX", prefix]
        await conn.send_command(*args)
        if await conn.read_response() not in (b"OK", "OK"):
            raise RuntimeError("CLIENT TRACKING refused")
        self.connected = True
        previous: float | None = None
        while not _cancelling():  # redis-py may swallow a cancellation in a read
            sent = self._clock()
            await conn.send_command("PING")
            async with asyncio.timeout(self.patience):
                await conn.read_response()
            if previous is not None:
                self.fence = previous
            previous = sent
            await asyncio.sleep(self.interval)


def _cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
