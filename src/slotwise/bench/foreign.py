"""Calling the benchmark modules that other parts of slotwise ship (``cache_hit``,
``queries``, ``observability``): find their entry point and pass what they ask for by name.

Why by name: those modules are written in parallel with this runner; matching parameters by
name (engine, redis_url, quick, ...) lets each one take what it needs without a shared base.
"""

from __future__ import annotations

import inspect
from contextlib import nullcontext
from types import ModuleType
from typing import TYPE_CHECKING, Any

from slotwise.bench import environment
from slotwise.core import db

if TYPE_CHECKING:
    from slotwise.bench.runner import BenchContext, Tick

ENTRY_POINTS = ("run_all", "run", "benchmark", "main")
#: Parameters asking for a Redis of their own (filled with a throwaway redis-server on a free
#: port, e.g. for the invalidation test that writes a million keys).
PRIVATE_REDIS = ("private_redis_url", "isolated_redis_url", "bulk_redis_url")


def _arguments(ctx: BenchContext, tick: Tick) -> dict[str, Any]:
    return {
        "engine": ctx.engine,
        "session_factory": db.build_session_factory(ctx.engine),
        "database_url": ctx.database.url,
        "redis_url": ctx.redis.url,
        "prefix": ctx.redis.prefix,
        "key_prefix": ctx.redis.prefix,
        "quick": ctx.mode.name == "quick",
        "mode": ctx.mode.name,
        "rounds": ctx.mode.rounds,
        "invalidation_keys": ctx.mode.invalidation_keys,
        "unrelated_keys": ctx.mode.invalidation_keys,
        "recruiter_id": ctx.dataset.recruiter_ids[0],
        "recruiter_ids": ctx.dataset.recruiter_ids,
        "slot_ids": ctx.dataset.free_slot_ids,
        "tick": tick,
        "progress": tick,
        "out_dir": ctx.out,
    }


async def call(module: ModuleType, ctx: BenchContext, tick: Tick) -> dict[str, Any]:
    for name in ENTRY_POINTS:
        entry = getattr(module, name, None)
        if callable(entry):
            break
    else:
        raise RuntimeError(f"{module.__name__} has none of {ENTRY_POINTS}")
    available = _arguments(ctx, tick)
    params = inspect.signature(entry).parameters
    kwargs = {k: v for k, v in available.items() if k in params}
    missing = [
        p.name
        for p in params.values()
        if p.default is inspect.Parameter.empty
        and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        and p.name not in kwargs
        and p.name not in PRIVATE_REDIS
    ]
    if missing:
        raise RuntimeError(f"{module.__name__}.{entry.__name__} needs {missing}")
    wants_private = [name for name in PRIVATE_REDIS if name in params]
    redis_server = environment.private_redis_server() if wants_private else nullcontext(None)
    async with redis_server as private_url:
        for name in wants_private:
            kwargs[name] = private_url
        result = entry(**kwargs)
        if inspect.isawaitable(result):
            result = await result
    if not isinstance(result, dict):
        raise RuntimeError(f"{module.__name__}.{entry.__name__} returned {type(result).__name__}")
    result.setdefault("source", f"{module.__name__}.{entry.__name__}")
    return result
