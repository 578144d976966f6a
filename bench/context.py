"""What the runner hands every scenario (``BenchContext``) and how a scenario is declared
(``ScenarioSpec``): shared by ``runner.py`` and ``scenarios.py`` so neither imports the other.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bench import modes
from bench.environment import BenchDatabase, BenchRedis
from bench.processes import LoadGenerator, ServerProcess, api_server, ceiling_server
from bench.seed import Dataset

Tick = Callable[[], None]


class Skip(Exception):
    """A scenario cannot run here (the reason is the message); not a failure."""


@dataclass
class BenchOptions:
    quick: bool = False
    database_url: str | None = None
    redis_url: str | None = None
    no_redis: bool = False  # run uncached only, even if a Redis answers on 127.0.0.1
    out: Path = Path("bench-results")
    only: frozenset[str] | None = None  # scenario keys to run (tests); None = all
    mode: modes.Mode | None = None  # overrides quick/full (tests)

    @property
    def chosen_mode(self) -> modes.Mode:
        return self.mode or (modes.QUICK if self.quick else modes.FULL)


@dataclass
class BenchContext:
    """What every scenario may use; servers and the load generator start on first use."""

    options: BenchOptions
    mode: modes.Mode
    engine: AsyncEngine
    dataset: Dataset
    database: BenchDatabase
    redis: BenchRedis
    token: str
    stack: AsyncExitStack
    out: Path
    servers: dict[str, ServerProcess] = field(default_factory=dict)
    rss_at_start: dict[str, int] = field(default_factory=dict)
    _loadgen: LoadGenerator | None = None

    def server_env(self, *, cache: bool, fast_path: bool = True) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        env.update(
            DATABASE_URL=self.database.url,
            CACHE_ENABLED="true" if cache and self.redis.url else "false",
            SLOTWISE_FAST_PATH="true" if fast_path else "false",
            CACHE_KEY_PREFIX=self.redis.prefix,
            SLOTWISE_ADMIN_TOKENS=self.token,
            SLOTWISE_BOT_TOKENS=f"{self.token}-bot",
            SLOTWISE_LOG_LEVEL="WARNING",
        )
        if self.redis.url:
            env["REDIS_URL"] = self.redis.url
        else:
            env.pop("REDIS_URL", None)
        return env

    async def server(self, name: str) -> ServerProcess:
        """``cache_on``, ``cache_on_2``, ``cache_on_fastapi`` (the fast path off),
        ``cache_on_no_l1`` (the in-process tier off), ``cache_off`` or ``ceiling``, started
        once."""
        if name in self.servers:
            return self.servers[name]
        if name.startswith("cache_on") and not self.redis.url:
            raise Skip("no Redis reachable: the cached variants need one")
        logs = self.out / "logs"
        if name == "ceiling":
            server = ceiling_server(self.server_env(cache=False), logs)
        else:
            env = self.server_env(
                cache=name.startswith("cache_on"), fast_path=name != "cache_on_fastapi"
            )
            if name == "cache_on_no_l1":
                env["CACHE_L1_ENABLED"] = "false"
            server = api_server(name, env, logs)
        self.stack.callback(server.stop)
        await server.start()
        self.servers[name] = server
        self.rss_at_start[name] = server.rss_bytes()
        return server

    async def loadgen(self) -> LoadGenerator:
        if self._loadgen is None:
            self._loadgen = await self.stack.enter_async_context(LoadGenerator())
        return self._loadgen


Scenario = Callable[[BenchContext, Tick], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class ScenarioSpec:
    key: str
    title: str
    run: Scenario
    steps: Callable[[modes.Mode], int]
