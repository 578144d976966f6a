"""How long an invalidation takes to reach another process's in-process tier.

A listener subprocess (``python -m bench.tier_delay URL PREFIX COUNT``) runs the product's
tracking connection (``slotwise.cache.tracking.Tracker``: CLIENT TRACKING BCAST, the PING
loop) and prints, for each pushed version key, the monotonic time it was applied. The
benchmark process writes ``COUNT`` version keys one at a time and notes when each write was
sent; both clocks are the machine's CLOCK_MONOTONIC, shared by the two processes. The delay
of a write is applied-at minus sent-at: the round trip, Redis' end-of-iteration flush, and
the listener's wait for its next read (pushes are read with the PING replies).
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import orjson
from redis.asyncio import Redis

from bench.stats import Summary


async def _listen(url: str, prefix: str, count: int) -> None:
    from redis.asyncio.connection import parse_url

    from slotwise.cache.tracking import Tracker

    seen: dict[str, float] = {}
    done = asyncio.Event()

    def pushed(keys: list[str] | None) -> None:
        now = time.monotonic()
        for key in keys or ():
            seen.setdefault(key, now)
        if len(seen) >= count:
            done.set()

    options = parse_url(url)
    kwargs: dict[str, Any] = {
        k: options[k] for k in ("host", "port", "db", "password") if k in options
    }
    tracker = Tracker(kwargs, [f"{prefix}:delay:"], pushed)
    tracker.start()
    while not tracker.fresh():  # noqa: ASYNC110 - state of another task
        await asyncio.sleep(0.01)
    print("ready", flush=True)
    try:
        async with asyncio.timeout(60):
            await done.wait()
    finally:
        await tracker.stop()
    print(orjson.dumps(seen).decode(), flush=True)


async def run(url: str, prefix: str, count: int = 200) -> dict[str, Any]:
    """p50 / p99 / max delay (ms) of ``count`` invalidations between two processes."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.tier_delay", url, prefix, str(count),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    redis = Redis.from_url(url, socket_timeout=5)
    sent: dict[str, float] = {}
    try:
        async with asyncio.timeout(30):
            assert (await proc.stdout.readline()).strip() == b"ready"
        for index in range(count):
            key = f"{prefix}:delay:{index}"
            sent[key] = time.monotonic()
            await redis.set(key, index, px=60_000)
            await asyncio.sleep(0.002)
        async with asyncio.timeout(70):
            applied: dict[str, float] = orjson.loads(await proc.stdout.readline())
        await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await redis.aclose()
    delays = [(applied[k] - sent[k]) * 1000.0 for k in sent if k in applied]
    summary = Summary.of(delays)
    return {
        "invalidations": count,
        "received": len(delays),
        "delay_ms": {
            "p50": round(summary.median, 3),
            "p99": round(summary.p99, 3),
            "max": round(summary.max, 3),
        },
    }


if __name__ == "__main__":
    asyncio.run(_listen(sys.argv[1], sys.argv[2], int(sys.argv[3])))
