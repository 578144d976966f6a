"""The load generator: a separate process, so the server under test keeps its core.

Protocol: one JSON job per line on stdin, one JSON result per line on stdout. Jobs:

* ``{"kind": "http", "host", "port", "paths": [...], "headers": {...}, "concurrency": c,
  "duration": s | "count": n}``: GETs over ``c`` keep-alive connections, the paths in turn;
  returns requests, errors, status counts, elapsed seconds, rps and every latency (ms).
* ``{"kind": "zipf", ...}``: scenario 4's workload (see ``bench.zipf``).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from typing import Any

import orjson

from bench.httpclient import Connection


async def http_job(job: dict[str, Any]) -> dict[str, Any]:
    paths: list[str] = list(job["paths"])
    concurrency = int(job.get("concurrency", 1))
    duration = job.get("duration")
    remaining = [int(job.get("count", 0))]
    deadline = time.perf_counter() + float(duration) if duration is not None else None
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors = [0]

    def more() -> bool:
        if deadline is not None:
            return time.perf_counter() < deadline
        remaining[0] -= 1
        return remaining[0] >= 0

    async def worker(index: int) -> None:
        conn = Connection(job["host"], int(job["port"]), job.get("headers"))
        turn = index
        try:
            while more():
                path = paths[turn % len(paths)]
                turn += concurrency
                start = time.perf_counter()
                try:
                    response = await conn.request("GET", path)
                except (OSError, asyncio.IncompleteReadError):
                    errors[0] += 1
                    continue
                latencies.append((time.perf_counter() - start) * 1000)
                statuses[response.status] += 1
                if response.status != 200:
                    errors[0] += 1
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "errors": errors[0],
        "statuses": {str(k): v for k, v in statuses.items()},
        "elapsed_s": elapsed,
        "rps": len(latencies) / elapsed if elapsed else 0.0,
        "latency_ms": [round(x, 4) for x in latencies],
    }


async def run_job(job: dict[str, Any]) -> dict[str, Any]:
    if job["kind"] == "http":
        return await http_job(job)
    if job["kind"] == "zipf":
        from bench.zipf import ZipfWorkload

        return await ZipfWorkload(job).run()
    raise ValueError(f"unknown job kind {job['kind']!r}")


async def serve_stdio() -> None:
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        try:
            result: dict[str, Any] = {"ok": True, "result": await run_job(orjson.loads(line))}
        except Exception as exc:  # reported to the controller, not raised
            result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.buffer.write(orjson.dumps(result) + b"\n")
        sys.stdout.buffer.flush()


def main() -> None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it on Linux
        asyncio.run(serve_stdio())
    else:
        uvloop.run(serve_stdio())


if __name__ == "__main__":
    main()
