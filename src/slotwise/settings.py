"""Settings from the environment (and ``.env``), one object for the whole process.

Variable names are the ones the user's document and FOUNDATIONS.md use (``DATABASE_URL``,
``REDIS_HOST``, ...); the ``SLOTWISE_`` ones are ours.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url


def default_sqlite_url() -> str:
    """``slotwise.db`` in the working folder at the time the settings are read."""
    return f"sqlite+aiosqlite:///{Path.cwd() / 'slotwise.db'}"


def _hide_password(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can parse: show nothing of it
        return "***"


def _split_tokens(value: object) -> object:
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    return value


RedisMode = Literal["standalone", "cluster", "sentinel"]


def parse_host_port(item: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:7000`` for IPv6) as a pair; ValueError saying what is wrong."""
    host, sep, port = item.strip().rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{item!r} is not host:port")
    return host, int(port)


def _host_ports(value: object) -> object:
    """A comma-separated ``host:port`` list, each entry checked (an error names the bad one)."""
    items = _split_tokens(value)
    if isinstance(items, list):
        for item in items:
            parse_host_port(str(item))
    return items


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    database_url: str = Field(default_factory=default_sqlite_url)
    db_pool_size: int = Field(default=10, ge=1, le=1000)
    db_max_overflow: int = Field(default=20, ge=0, le=1000)
    db_pool_timeout: float = Field(default=5.0, gt=0, le=300)
    db_echo: bool = False
    # PostgreSQL: how long a write transaction waits for a row lock before it gives up with a
    # 409 "retry" (SET LOCAL lock_timeout), instead of queueing up to the command timeout.
    slotwise_lock_timeout_ms: int = Field(default=2000, ge=1, le=600_000)

    cache_enabled: bool = True
    redis_url: str | None = None
    redis_host: str = "localhost"
    redis_port: int = Field(default=6379, ge=1, le=65535)
    redis_db: int = Field(default=0, ge=0)
    redis_password: SecretStr | None = None
    redis_max_connections: int = Field(default=50, ge=1)
    redis_socket_timeout: float = Field(default=0.05, gt=0)
    redis_connect_timeout: float = Field(default=0.2, gt=0)
    cache_key_prefix: str = "slotwise"
    cache_default_ttl_seconds: int = Field(default=1800, ge=1)
    # Topology: one Redis (REDIS_URL / REDIS_HOST...), a Cluster (REDIS_URL names any node,
    # REDIS_CLUSTER_NODES adds seeds) or a Sentinel-managed primary (REDIS_URL unused).
    redis_mode: RedisMode = "standalone"
    redis_cluster_nodes: Annotated[list[str], NoDecode] = Field(default_factory=list)
    redis_sentinels: Annotated[list[str], NoDecode] = Field(default_factory=list)
    redis_sentinel_master: str | None = None
    # The in-process tier in front of Redis (docs/cache-consistency.md): on, its bounds, and
    # the fence bound B (a write is acknowledged B after its invalidation).
    cache_l1_enabled: bool = True
    cache_l1_max_entries: int = Field(default=10_000, ge=1)
    cache_l1_max_bytes: int = Field(default=64 * 2**20, ge=1024)
    cache_l1_max_age_seconds: float = Field(default=30.0, gt=0)
    cache_l1_fence_ms: float = Field(default=20.0, ge=1, le=1000)

    slow_query_threshold_ms: float = Field(default=100.0, ge=0)

    slotwise_admin_tokens: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    slotwise_bot_tokens: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    slotwise_log_level: str = "INFO"
    slotwise_log_json: bool = True
    # The fraction of successful (< 400), fast (< slow_query_threshold_ms) requests that get an
    # access line; errors and slow requests always do. Each line carries its `sample_rate`.
    slotwise_access_log_sample: float = Field(default=0.1, ge=1e-6, le=1)
    # When set, GET /metrics needs `Authorization: Bearer <it>`.
    slotwise_metrics_token: SecretStr | None = None

    # Request bodies larger than these are refused (413) before they are read or parsed.
    slotwise_max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=64 * 1024 * 1024)
    slotwise_max_bulk_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)

    # Cached GET /api/slots and GET /api/recruiters/{id} answered before FastAPI (api.fast_path);
    # off: every request goes through FastAPI (the same bytes, slower).
    slotwise_fast_path: bool = True
    # gc.freeze() once the app has started: start-up objects leave the collector's scans.
    slotwise_gc_freeze: bool = True

    # The Telegram bot's token: when set, candidate actions made with a bot token need
    # X-Telegram-Init-Data signed with it (Telegram Mini App init data).
    slotwise_telegram_bot_token: SecretStr | None = None
    slotwise_telegram_init_data_max_age_seconds: int = Field(default=86400, ge=1, le=30 * 86400)

    @field_validator("slotwise_admin_tokens", "slotwise_bot_tokens", mode="before")
    @classmethod
    def _tokens(cls, value: object) -> object:
        return _split_tokens(value)

    @field_validator(
        "redis_password",
        "redis_sentinel_master",
        "slotwise_metrics_token",
        "slotwise_telegram_bot_token",
        mode="before",
    )
    @classmethod
    def _empty_password(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("redis_mode", mode="before")
    @classmethod
    def _mode_lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("redis_cluster_nodes", "redis_sentinels", mode="before")
    @classmethod
    def _nodes(cls, value: object) -> object:
        return _host_ports(value)

    @model_validator(mode="after")
    def _topology(self) -> Settings:
        """Each mode's settings present, and none of another mode's (a forgotten REDIS_MODE
        would otherwise leave the cache talking to the wrong Redis without a word)."""
        mode = self.redis_mode
        if mode != "cluster" and self.redis_cluster_nodes:
            raise ValueError(f"REDIS_CLUSTER_NODES is set but REDIS_MODE={mode} (want cluster)")
        if mode != "sentinel" and (self.redis_sentinels or self.redis_sentinel_master):
            raise ValueError(
                f"REDIS_SENTINELS/REDIS_SENTINEL_MASTER are set but REDIS_MODE={mode}"
                " (want sentinel)"
            )
        if mode == "sentinel" and not (self.redis_sentinels and self.redis_sentinel_master):
            raise ValueError(
                "REDIS_MODE=sentinel needs REDIS_SENTINELS=host:port,... and"
                " REDIS_SENTINEL_MASTER=<name>"
            )
        if mode == "cluster" and self.redis_db_number != 0:
            raise ValueError("REDIS_MODE=cluster has only database 0 (REDIS_URL .../0, REDIS_DB)")
        return self

    @property
    def redis_db_number(self) -> int:
        """The database number REDIS_URL (or REDIS_DB) names; a cluster has only 0."""
        if not self.redis_url:
            return self.redis_db
        path = urlsplit(self.redis_url).path.strip("/")
        return int(path) if path.isdigit() else 0

    def secret_values(self) -> list[str]:
        """Every configured token, to be masked wherever it would appear in a log line."""
        tokens = [*self.slotwise_admin_tokens, *self.slotwise_bot_tokens]
        tokens += [t for t in (self.slotwise_metrics_token, self.slotwise_telegram_bot_token) if t]
        return [t.get_secret_value() for t in tokens]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def effective_redis_url(self) -> str:
        """``REDIS_URL`` when set, else the URL the ``REDIS_*`` parts describe."""
        if self.redis_url:
            return self.redis_url
        auth = ""
        if self.redis_password is not None:
            auth = f":{quote(self.redis_password.get_secret_value(), safe='')}@"
        return f"redis://{auth}{self.redis_host}:{self.redis_port}/{self.redis_db}"

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        """Like pydantic's, with passwords in URLs hidden (settings end up in logs)."""
        for name, value in super().__repr_args__():
            if name in {"database_url", "redis_url"} and isinstance(value, str):
                yield name, _hide_password(value)
            else:
                yield name, value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests and the CLI change the environment)."""
    get_settings.cache_clear()
