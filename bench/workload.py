"""Scenario 4: a Zipf read workload with 5% writes through two API worker processes.

The load generator does the work and the counting (``bench.zipf``: stale reads
checked against the committed state, hit rate from the servers' counters after priming);
this module describes the job and summarises what comes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bench.processes import LoadGenerator, ServerProcess
from bench.stats import Summary


async def run(
    loadgen: LoadGenerator,
    servers: Sequence[ServerProcess],
    token: str,
    redis_url: str,
    *,
    slot_ids: list[int],
    recruiter_ids: list[int],
    duration: float,
    concurrency: int,
    write_fraction: float = 0.05,
    rename_share: float = 0.1,
    zipf_s: float = 1.1,
) -> dict[str, Any]:
    job = {
        "kind": "zipf",
        "servers": [list(s.address) for s in servers],
        "slot_ids": slot_ids,
        "recruiter_ids": recruiter_ids,
        "duration": duration,
        "concurrency": concurrency,
        "write_fraction": write_fraction,
        "rename_share": rename_share,
        "zipf_s": zipf_s,
        "admin_token": token,
        "redis_url": redis_url,
    }
    result = await loadgen.run(job)
    reads = Summary.of(result.pop("read_latency_ms"))
    writes = Summary.of(result.pop("write_latency_ms"))
    return {
        **result,
        "workers": len(servers),
        "entities": {"slots": len(slot_ids), "recruiters": len(recruiter_ids)},
        "zipf_s": zipf_s,
        "write_fraction": write_fraction,
        "writes_that_rename_a_recruiter": rename_share,
        "read_latency_ms": reads.as_dict(),
        "write_latency_ms": writes.as_dict(),
    }
