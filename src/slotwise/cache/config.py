"""Where Redis is and how patient to be with it, and how the client's connection is built."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from redis.asyncio import Redis

from slotwise.cache import topology
from slotwise.cache.keys import CacheTTL
from slotwise.cache.shards import CLUSTER_SHARDS
from slotwise.settings import RedisMode, Settings, get_settings, parse_host_port


@dataclass(frozen=True, slots=True)
class CacheConfig:
    """Where Redis is and how patient to be with it (tens of ms: the database is the fallback)."""

    host: str = "localhost"
    port: int = 6379
    db: int = 0
    password: str | None = None
    max_connections: int = 50
    socket_timeout: float = 0.05
    connect_timeout: float = 0.2
    key_prefix: str = "slotwise"
    url: str | None = None
    default_ttl: int = int(CacheTTL.MEDIUM)
    #: Failures in a row that open the breaker, and how long it stays open.
    breaker_threshold: int = 3
    breaker_reset_after: float = 1.0
    #: How long a process waits for another process's load of the same key.
    lock_wait: float = 0.25
    #: How long a caller waits for a load of the same key by another task of this process
    #: before loading itself (a load that is slow, stuck or cancelled never holds it longer).
    flight_wait: float = 0.5
    #: ``standalone``, ``cluster`` (``url``/host:port and ``cluster_nodes`` are seeds) or
    #: ``sentinel`` (the primary of ``sentinel_master`` as ``sentinels`` name it).
    mode: RedisMode = "standalone"
    cluster_nodes: tuple[tuple[str, int], ...] = ()
    sentinels: tuple[tuple[str, int], ...] = ()
    sentinel_master: str | None = None
    #: The in-process tier (``tier``): on, its bounds, its fence bound B and ping interval.
    l1_enabled: bool = False
    l1_max_entries: int = 10_000
    l1_max_bytes: int = 64 * 2**20
    l1_max_age: float = 30.0
    l1_fence_ms: float = 20.0
    l1_ping_ms: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> CacheConfig:
        s = settings or get_settings()
        return cls(
            host=s.redis_host,
            port=s.redis_port,
            db=s.redis_db,
            password=s.redis_password.get_secret_value() if s.redis_password else None,
            max_connections=s.redis_max_connections,
            socket_timeout=s.redis_socket_timeout,
            connect_timeout=s.redis_connect_timeout,
            key_prefix=s.cache_key_prefix,
            url=s.redis_url,
            default_ttl=s.cache_default_ttl_seconds,
            mode=s.redis_mode,
            cluster_nodes=tuple(parse_host_port(n) for n in s.redis_cluster_nodes),
            sentinels=tuple(parse_host_port(n) for n in s.redis_sentinels),
            sentinel_master=s.redis_sentinel_master,
            l1_enabled=s.cache_l1_enabled,
            l1_max_entries=s.cache_l1_max_entries,
            l1_max_bytes=s.cache_l1_max_bytes,
            l1_max_age=s.cache_l1_max_age_seconds,
            l1_fence_ms=s.cache_l1_fence_ms,
        )

    @property
    def shards(self) -> int:
        """Key shards (``slotwise.cache.shards``): spread over a cluster's slots, else one."""
        return CLUSTER_SHARDS if self.mode == "cluster" else 1

    def redacted_url(self) -> str:
        if self.mode == "sentinel":
            seeds = ",".join(f"{h}:{p}" for h, p in self.sentinels)
            return f"redis+sentinel://{seeds}/{self.sentinel_master}"
        if self.url:
            return self.url.split("@")[-1] if "@" in self.url else self.url
        return f"redis://{self.host}:{self.port}/{self.db}"


RedisFactory = Callable[[CacheConfig], "Redis"]


def build_redis(config: CacheConfig) -> Redis:
    """The client for ``config.mode`` (``slotwise.cache.topology``): one bounded pool, short
    timeouts, no retries (the breaker decides). Every connection, to whichever node, checks
    the server's identity before its first use (``identity``)."""
    from slotwise.cache.identity import identity_hook

    hook = identity_hook(config.key_prefix, config.shards, config.mode == "cluster")
    # The cache types its client as Redis; a RedisCluster answers every command it sends.
    return cast(Redis, topology.build_client(config, hook))


_redis_factory: RedisFactory = build_redis


def make_redis(config: CacheConfig) -> Redis:
    """A client for ``config`` from the installed factory (fakeredis in tests)."""
    return _redis_factory(config)


def set_redis_factory(factory: RedisFactory | None) -> None:
    """Build Redis clients with ``factory`` (tests install fakeredis here); None restores."""
    global _redis_factory
    _redis_factory = factory or build_redis
