"""Settings: the names of FOUNDATIONS.md, their defaults, ``.env``, and no secrets shown."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from slotwise.settings import Settings, get_settings, parse_host_port, reset_settings


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No settings variable from the test run or the shell, and an empty working folder."""
    names = {name.upper() for name in Settings.model_fields}
    for name in list(os.environ):
        if name.upper() in names:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_defaults(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    s = Settings()
    assert s.database_url == f"sqlite+aiosqlite:///{tmp_path / 'slotwise.db'}"
    assert s.is_sqlite
    assert (s.db_pool_size, s.db_max_overflow, s.db_pool_timeout) == (10, 20, 5.0)
    assert s.cache_enabled is True
    assert s.redis_url is None
    assert (s.redis_host, s.redis_port, s.redis_db) == ("localhost", 6379, 0)
    assert s.redis_password is None
    assert s.redis_max_connections == 50
    assert s.cache_default_ttl_seconds == 1800
    assert s.slow_query_threshold_ms == 100.0
    assert s.slotwise_admin_tokens == []
    assert s.slotwise_bot_tokens == []
    assert s.effective_redis_url == "redis://localhost:6379/0"


def test_default_database_follows_the_working_folder(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    other = tmp_path / "elsewhere"
    other.mkdir()
    env.chdir(other)
    assert Settings().database_url.endswith(f"{other / 'slotwise.db'}")


def test_every_documented_variable_is_read(env: pytest.MonkeyPatch) -> None:
    values = {
        "DATABASE_URL": "postgresql+asyncpg://app@127.0.0.1:5432/slotwise",
        "DB_POOL_SIZE": "7",
        "DB_MAX_OVERFLOW": "3",
        "DB_POOL_TIMEOUT": "2.5",
        "CACHE_ENABLED": "false",
        "REDIS_HOST": "cache.internal",
        "REDIS_PORT": "6380",
        "REDIS_DB": "4",
        "REDIS_PASSWORD": "hunter2",
        "REDIS_MAX_CONNECTIONS": "12",
        "CACHE_DEFAULT_TTL_SECONDS": "60",
        "SLOW_QUERY_THRESHOLD_MS": "250",
    }
    for name, value in values.items():
        env.setenv(name, value)
    s = Settings()
    assert s.database_url == values["DATABASE_URL"]
    assert not s.is_sqlite
    assert (s.db_pool_size, s.db_max_overflow, s.db_pool_timeout) == (7, 3, 2.5)
    assert s.cache_enabled is False
    assert (s.redis_host, s.redis_port, s.redis_db) == ("cache.internal", 6380, 4)
    assert s.redis_password is not None
    assert s.redis_password.get_secret_value() == "hunter2"
    assert s.redis_max_connections == 12
    assert s.cache_default_ttl_seconds == 60
    assert s.slow_query_threshold_ms == 250.0
    assert s.effective_redis_url == "redis://:hunter2@cache.internal:6380/4"


def test_lower_case_names_work_too(env: pytest.MonkeyPatch) -> None:
    env.setenv("db_pool_size", "9")
    assert Settings().db_pool_size == 9


def test_redis_url_wins_over_the_parts(env: pytest.MonkeyPatch) -> None:
    env.setenv("REDIS_URL", "redis://10.0.0.5:6390/2")
    env.setenv("REDIS_HOST", "ignored")
    env.setenv("REDIS_PORT", "1")
    assert Settings().effective_redis_url == "redis://10.0.0.5:6390/2"


def test_password_with_url_characters_is_quoted(env: pytest.MonkeyPatch) -> None:
    env.setenv("REDIS_PASSWORD", "p@ss/w:rd")
    assert Settings().effective_redis_url == "redis://:p%40ss%2Fw%3Ard@localhost:6379/0"


def test_empty_redis_password_means_none(env: pytest.MonkeyPatch) -> None:
    env.setenv("REDIS_PASSWORD", "")
    assert Settings().redis_password is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("one", ["one"]),
        ("one,two", ["one", "two"]),
        (" one , two ,, ", ["one", "two"]),
        ("", []),
    ],
)
def test_tokens_are_comma_separated(env: pytest.MonkeyPatch, raw: str, expected: list[str]) -> None:
    env.setenv("SLOTWISE_ADMIN_TOKENS", raw)
    env.setenv("SLOTWISE_BOT_TOKENS", raw)
    s = Settings()
    assert [t.get_secret_value() for t in s.slotwise_admin_tokens] == expected
    assert [t.get_secret_value() for t in s.slotwise_bot_tokens] == expected


def test_dotenv_in_the_working_folder_is_read(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "DATABASE_URL=sqlite+aiosqlite:///from-dotenv.db\n"
        "DB_POOL_SIZE=3\n"
        "SLOTWISE_BOT_TOKENS=a,b\n"
        "SOMETHING_UNRELATED=1\n"
    )
    s = Settings()
    assert s.database_url == "sqlite+aiosqlite:///from-dotenv.db"
    assert s.db_pool_size == 3
    assert [t.get_secret_value() for t in s.slotwise_bot_tokens] == ["a", "b"]


def test_environment_wins_over_dotenv(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DB_POOL_SIZE=3\n")
    env.setenv("DB_POOL_SIZE", "8")
    assert Settings().db_pool_size == 8


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DB_POOL_SIZE", "0"),
        ("DB_POOL_SIZE", "many"),
        ("DB_MAX_OVERFLOW", "-1"),
        ("DB_POOL_TIMEOUT", "0"),
        ("REDIS_PORT", "70000"),
        ("REDIS_DB", "-1"),
        ("CACHE_ENABLED", "perhaps"),
        ("CACHE_DEFAULT_TTL_SECONDS", "0"),
    ],
)
def test_bad_values_are_rejected(env: pytest.MonkeyPatch, name: str, value: str) -> None:
    env.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_secrets_are_not_in_repr_or_str(env: pytest.MonkeyPatch) -> None:
    env.setenv("DATABASE_URL", "postgresql+asyncpg://app:db-secret-1@127.0.0.1/slotwise")
    env.setenv("REDIS_URL", "redis://:redis-secret-2@127.0.0.1:6379/0")
    env.setenv("REDIS_PASSWORD", "redis-secret-3")
    env.setenv("SLOTWISE_ADMIN_TOKENS", "admin-secret-4,admin-secret-5")
    env.setenv("SLOTWISE_BOT_TOKENS", "bot-secret-6")
    s = Settings()
    shown = repr(s) + str(s)
    for n in range(1, 7):
        assert f"secret-{n}" not in shown
    assert "127.0.0.1" in shown  # the rest of the URL is still there to debug with
    # ... and the real values are intact for the code that needs them.
    assert "db-secret-1" in s.database_url
    assert "redis-secret-2" in s.effective_redis_url


def test_get_settings_is_cached_until_reset(env: pytest.MonkeyPatch) -> None:
    reset_settings()
    try:
        env.setenv("DB_POOL_SIZE", "4")
        first = get_settings()
        env.setenv("DB_POOL_SIZE", "5")
        assert get_settings() is first
        reset_settings()
        assert get_settings().db_pool_size == 5
    finally:
        env.undo()
        reset_settings()


def test_redis_mode_defaults_to_standalone(env: pytest.MonkeyPatch) -> None:
    s = Settings()
    assert s.redis_mode == "standalone"
    assert (s.redis_cluster_nodes, s.redis_sentinels, s.redis_sentinel_master) == ([], [], None)


def test_cluster_mode_takes_extra_seeds(env: pytest.MonkeyPatch) -> None:
    env.setenv("REDIS_MODE", "Cluster")
    env.setenv("REDIS_URL", "redis://10.0.0.1:7000/0")
    env.setenv("REDIS_CLUSTER_NODES", " 10.0.0.2:7001 ,[::1]:7002,")
    s = Settings()
    assert s.redis_mode == "cluster"
    assert s.redis_cluster_nodes == ["10.0.0.2:7001", "[::1]:7002"]
    assert [parse_host_port(n) for n in s.redis_cluster_nodes] == [
        ("10.0.0.2", 7001),
        ("::1", 7002),
    ]


def test_sentinel_mode_needs_sentinels_and_a_master(env: pytest.MonkeyPatch) -> None:
    env.setenv("REDIS_MODE", "sentinel")
    with pytest.raises(ValidationError, match="REDIS_SENTINELS=host:port"):
        Settings()
    env.setenv("REDIS_SENTINELS", "127.0.0.1:26379,127.0.0.1:26380")
    with pytest.raises(ValidationError, match="REDIS_SENTINEL_MASTER"):
        Settings()
    env.setenv("REDIS_SENTINEL_MASTER", "mymaster")
    s = Settings()
    assert s.redis_sentinels == ["127.0.0.1:26379", "127.0.0.1:26380"]
    assert s.redis_sentinel_master == "mymaster"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("REDIS_CLUSTER_NODES", "127.0.0.1:7000", "REDIS_MODE=standalone"),
        ("REDIS_SENTINELS", "127.0.0.1:26379", "REDIS_MODE=standalone"),
        ("REDIS_SENTINEL_MASTER", "mymaster", "REDIS_MODE=standalone"),
    ],
)
def test_another_modes_settings_without_its_mode_are_refused(
    env: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    env.setenv(name, value)
    with pytest.raises(ValidationError, match=message):
        Settings()


@pytest.mark.parametrize("bad", ["localhost", "localhost:", ":7000", "host:70000", "host:port"])
def test_a_node_that_is_not_host_port_is_named(env: pytest.MonkeyPatch, bad: str) -> None:
    env.setenv("REDIS_MODE", "cluster")
    env.setenv("REDIS_CLUSTER_NODES", f"127.0.0.1:7000,{bad}")
    with pytest.raises(ValidationError, match="is not host:port"):
        Settings()


def test_unknown_mode_is_refused(env: pytest.MonkeyPatch) -> None:
    env.setenv("REDIS_MODE", "replicated")
    with pytest.raises(ValidationError, match="redis_mode"):
        Settings()


@pytest.mark.parametrize(("name", "value"), [("REDIS_URL", "redis://h:7000/2"), ("REDIS_DB", "3")])
def test_cluster_has_only_database_zero(env: pytest.MonkeyPatch, name: str, value: str) -> None:
    env.setenv("REDIS_MODE", "cluster")
    env.setenv(name, value)
    with pytest.raises(ValidationError, match="only database 0"):
        Settings()


def test_the_access_log_sample_rate(env: pytest.MonkeyPatch) -> None:
    assert Settings().slotwise_access_log_sample == 0.1
    env.setenv("SLOTWISE_ACCESS_LOG_SAMPLE", "0.5")
    assert Settings().slotwise_access_log_sample == 0.5
    for refused in ("0", "-1", "1.5", "1e-9"):
        env.setenv("SLOTWISE_ACCESS_LOG_SAMPLE", refused)
        with pytest.raises(ValidationError, match="slotwise_access_log_sample"):
            Settings()
