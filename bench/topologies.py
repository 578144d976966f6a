"""Scenario 8: the cache on one Redis, a Redis Cluster and a Sentinel group, side by side.

A local cluster (3 primaries, 3 replicas) and a Sentinel group (primary, replica, 3 sentinels)
are started for the scenario with the ``deploy/local`` scripts on free loopback ports, and
stopped after it. On each topology, in the same run:

* ``hit``: a ``@cached`` hit of a small value and, as the floor, a raw GET + decode of the
  same bytes through that topology's own client, in interleaved rounds; the cluster's and
  Sentinel's hit next to the standalone one (target: cluster <= 1.3x standalone).
* ``zipf``: the Zipf workload of scenario 4 (two API processes, 5% writes, stale reads
  counted), shorter than scenario 4's.

Not a test: nothing here asserts.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import statistics
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench import workload
from bench.cache_hit import Call, per_call_us
from bench.context import BenchContext, Skip
from bench.processes import ServerProcess, api_server
from slotwise.cache import client as cache_module
from slotwise.cache import codec as cache_codec
from slotwise.cache.client import CacheClient, CacheConfig
from slotwise.cache.config import build_redis
from slotwise.cache.decorators import cached
from slotwise.result import Result, Success
from slotwise.settings import Settings

SCRIPTS = Path(__file__).resolve().parents[1] / "deploy" / "local"
TOPOLOGIES = ("standalone", "cluster", "sentinel")
_VALUE = "Anna Petrova, senior recruiter; Moscow, Kazan; https://meet.example/anna " * 4


def _free_base(count: int, bus: bool) -> int:
    """A port p with p..p+count-1 free (and their cluster bus ports, +10000, when ``bus``)."""
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            base = 20000 + int(sock.getsockname()[1]) % 30000
        ports = list(range(base, base + count))
        ports += [p + 10000 for p in ports] if bus else []
        if max(ports) < 65536 and all(_free(p) for p in ports):
            return base
    raise RuntimeError("no free port range for a local Redis topology")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextlib.contextmanager
def local_topology(kind: str) -> Iterator[dict[str, str]]:
    """``deploy/local/redis-<kind>.sh`` started on free ports; the settings it printed."""
    script = SCRIPTS / f"redis-{kind}.sh"
    base = str(_free_base(6 if kind == "cluster" else 5, bus=kind == "cluster"))
    folder = tempfile.mkdtemp(prefix=f"slotwise-bench-{kind}-")
    try:
        done = subprocess.run(  # noqa: S603  (our own script, our own arguments)
            ["/bin/bash", str(script), "start", base, folder],
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        yield dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    finally:
        stop = ["/bin/bash", str(script), "stop", base, folder]
        subprocess.run(stop, capture_output=True, timeout=60, check=False)  # noqa: S603


def topology_config(env: dict[str, str], prefix: str) -> CacheConfig:
    settings = Settings.model_validate({k.lower(): v for k, v in env.items()})
    return replace(CacheConfig.from_settings(settings), key_prefix=prefix)


class _Source:
    @cached(key_builder=lambda self, ident: f"bench:topology:{ident}")
    async def get(self, ident: int) -> Result[object, Any]:
        return Success(_VALUE)


async def hit_costs(configs: dict[str, CacheConfig], n: int, rounds: int) -> dict[str, Any]:
    """Median per-call µs of a ``@cached`` hit and of the raw floor on each topology,
    rounds interleaved over the topologies (drift cancels)."""
    source = _Source()
    clients: dict[str, CacheClient] = {}
    floors: dict[str, Call] = {}
    closers: list[Callable[[], Awaitable[None]]] = []
    previous = cache_module.get_cache()
    samples: dict[str, list[float]] = {}
    try:
        for name, config in configs.items():
            client = clients[name] = CacheClient(config)
            closers.append(client.close)
            if not await client.connect():
                raise RuntimeError(f"the cache did not connect to the {name} Redis")
            # the floor's own client: a stall of a busy machine must not fail the run
            raw = build_redis(replace(config, socket_timeout=5.0))
            closers.append(raw.aclose)
            await raw.set(f"{config.key_prefix}:raw", cache_codec.encode(_VALUE))
            floors[name] = functools.partial(_raw, raw, f"{config.key_prefix}:raw")
            cache_module.install_cache(client)
            for _ in range(20):  # the first miss stores; warm connections, slot map, scripts
                await source.get(1)
                await floors[name]()
            samples[f"{name}:cached"], samples[f"{name}:raw_get_decode"] = [], []
        for _ in range(rounds):
            for name, client in clients.items():
                cache_module.install_cache(client)
                samples[f"{name}:cached"].append(await per_call_us(_hit(source), n))
                samples[f"{name}:raw_get_decode"].append(await per_call_us(floors[name], n))
        available = {name: client.available for name, client in clients.items()}
    finally:
        cache_module.install_cache(previous)
        for close in closers:
            await close()
    median = {k: statistics.median(v) for k, v in samples.items()}
    return {
        "median_us": {k: round(v, 1) for k, v in median.items()},
        "cached_vs_raw": {
            name: round(median[f"{name}:cached"] / median[f"{name}:raw_get_decode"], 3)
            for name in configs
        },
        "cached_vs_standalone": {
            name: round(median[f"{name}:cached"] / median["standalone:cached"], 3)
            for name in configs
        },
        "cache_available_at_end": available,
        "target": "cluster's cached hit <= 1.3x standalone's",
    }


def _hit(source: _Source) -> Call:
    return functools.partial(source.get, 1)


async def _raw(redis: Any, key: str) -> object:
    data = await redis.get(key)
    assert isinstance(data, bytes)
    return cache_codec.decode(data)


@contextlib.asynccontextmanager
async def _servers(
    ctx: BenchContext, name: str, env: dict[str, str]
) -> AsyncIterator[list[ServerProcess]]:
    base = {k: v for k, v in ctx.server_env(cache=True).items() if not k.startswith("REDIS_")}
    started: list[ServerProcess] = []
    try:
        for i in (1, 2):
            server = api_server(f"{name}_{i}", {**base, **env}, ctx.out / "logs")
            started.append(server)
            await server.start()
        yield started
    finally:
        for server in started:
            server.stop()


async def run(ctx: BenchContext, tick: Callable[[], None]) -> dict[str, Any]:
    if not ctx.redis.url:
        raise Skip("no Redis reachable")
    prefix = f"{ctx.redis.prefix}:topo{uuid.uuid4().hex[:6]}"
    # scaled by the mode: quick ~300 calls x 7 rounds and 5 s of Zipf per topology
    n = max(20, min(1500, ctx.mode.fetch_calls * 8))
    rounds = min(ctx.mode.rounds, 9)
    duration = min(ctx.mode.zipf_duration / 2, 30.0)
    with local_topology("cluster") as cluster_env, local_topology("sentinel") as sentinel_env:
        tick()
        envs = {
            "standalone": {"REDIS_URL": ctx.redis.url},
            "cluster": cluster_env,
            "sentinel": sentinel_env,
        }
        # Redis hits on each: the in-process tier runs on a standalone Redis only, and a hit
        # from it (scenario 6) says nothing about what the topology costs.
        configs = {
            name: replace(topology_config(env, prefix), l1_enabled=False)
            for name, env in envs.items()
        }
        out: dict[str, Any] = {"hit": await hit_costs(configs, n, rounds)}
        tick()
        zipf: dict[str, Any] = {}
        slots = ctx.dataset.free_slot_ids
        share = min(ctx.mode.zipf_slots, len(slots) // (len(envs) + 1))
        for i, (name, env) in enumerate(envs.items()):
            # slots of their own, from the end: scenario 4 and the other topologies' runs
            # leave theirs booked
            own = slots[len(slots) - (i + 1) * share : len(slots) - i * share]
            async with _servers(ctx, name, env) as servers:
                zipf[name] = await workload.run(
                    await ctx.loadgen(), servers, ctx.token, "",
                    slot_ids=own,
                    recruiter_ids=ctx.dataset.recruiter_ids,
                    duration=duration, concurrency=ctx.mode.zipf_concurrency,
                )  # fmt: skip
            tick()
        out["zipf"] = zipf
        out["topologies"] = {
            "cluster": "3 primaries + 3 replicas (deploy/local/redis-cluster.sh)",
            "sentinel": "primary + replica + 3 sentinels (deploy/local/redis-sentinel.sh)",
            "standalone": ctx.redis.url,
        }
    return out
