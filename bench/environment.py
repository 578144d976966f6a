"""Where the benchmark runs: its own database and Redis namespace, and the machine's description.

The benchmark never touches data it did not create: by default it creates a fresh PostgreSQL
database (dropped at the end) or a SQLite file in a temp folder, and every Redis key it causes
carries a prefix of its own, removed at the end (never FLUSHDB: the Redis may be shared).
"""

from __future__ import annotations

import asyncio
import os
import platform
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis.asyncio as aredis
from sqlalchemy import text
from sqlalchemy.engine import make_url

DEFAULT_PG_HOST = "127.0.0.1"
DEFAULT_PG_PORT = 5432
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass
class BenchDatabase:
    url: str
    kind: str  # "postgresql" or "sqlite"
    created: bool  # made by us, so dropped by us
    drop_name: str | None = None
    admin_url: str | None = None
    tmpdir: Path | None = None


@dataclass
class BenchRedis:
    url: str | None  # None: no Redis, the cached variants are skipped
    prefix: str = field(default_factory=lambda: f"slotwise-bench-{secrets.token_hex(4)}")


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.settimeout(timeout)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _pg_admin(admin_url: str, statement: str) -> None:
    import asyncpg

    url = make_url(admin_url)
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port or DEFAULT_PG_PORT,
        user=url.username or "postgres",
        password=url.password,
        database=url.database or "postgres",
        timeout=5,
    )
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def _try_pg_admin(admin_url: str, statement: str) -> bool:
    """``statement`` on the admin database; False when PostgreSQL refuses or is not there
    (the benchmark then falls back to SQLite)."""
    try:
        await _pg_admin(admin_url, statement)
    except Exception:
        return False
    return True


async def create_database(given_url: str | None) -> BenchDatabase:
    """The given database, else a fresh PostgreSQL database on 127.0.0.1, else SQLite."""
    if given_url:
        kind = "sqlite" if make_url(given_url).get_backend_name() == "sqlite" else "postgresql"
        return BenchDatabase(url=given_url, kind=kind, created=False)
    user = os.environ.get("PGUSER", "postgres")
    if port_open(DEFAULT_PG_HOST, DEFAULT_PG_PORT):
        name = f"slotwise_bench_{int(time.time())}_{os.getpid()}"
        admin = f"postgresql+asyncpg://{user}@{DEFAULT_PG_HOST}:{DEFAULT_PG_PORT}/postgres"
        if await _try_pg_admin(admin, f'CREATE DATABASE "{name}"'):
            url = f"postgresql+asyncpg://{user}@{DEFAULT_PG_HOST}:{DEFAULT_PG_PORT}/{name}"
            return BenchDatabase(url, "postgresql", True, drop_name=name, admin_url=admin)
    tmp = Path(tempfile.mkdtemp(prefix="slotwise-bench-"))
    return BenchDatabase(f"sqlite+aiosqlite:///{tmp / 'bench.db'}", "sqlite", True, tmpdir=tmp)


async def drop_database(database: BenchDatabase) -> None:
    if not database.created:
        return
    if database.drop_name and database.admin_url:
        statement = f'DROP DATABASE IF EXISTS "{database.drop_name}" WITH (FORCE)'
        await _try_pg_admin(database.admin_url, statement)
    if database.tmpdir is not None:
        shutil.rmtree(database.tmpdir, ignore_errors=True)


async def redis_reachable(url: str) -> bool:
    client = aredis.from_url(url, socket_connect_timeout=0.5, socket_timeout=1)
    try:
        return bool(await client.ping())
    except Exception:  # any failure means "not usable"
        return False
    finally:
        await client.aclose()


async def choose_redis(given_url: str | None) -> BenchRedis:
    """The given Redis, else 127.0.0.1:6379 when it answers, else none (cache variants skipped)."""
    if given_url:
        if not await redis_reachable(given_url):
            raise RuntimeError(f"Redis at {given_url} does not answer")
        return BenchRedis(given_url)
    return BenchRedis(DEFAULT_REDIS_URL if await redis_reachable(DEFAULT_REDIS_URL) else None)


async def delete_prefixed(url: str, prefix: str) -> int:
    """Remove the benchmark's own keys (SCAN over its prefix: a clean-up, not a request path)."""
    client = aredis.from_url(url)
    removed = 0
    try:
        batch: list[bytes] = []
        async for key in client.scan_iter(match=f"{prefix}*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                removed += int(await client.unlink(*batch))
                batch.clear()
        if batch:
            removed += int(await client.unlink(*batch))
    finally:
        await client.aclose()
    return removed


@asynccontextmanager
async def private_redis_server() -> AsyncIterator[str | None]:
    """A throwaway redis-server on a free port (for tests that fill Redis with a million
    keys, which must never land in a shared instance); yields None if there is no binary."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="slotwise-bench-redis-")
    log = os.path.join(tmp, "redis.log")
    argv = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
            "--appendonly", "no", "--dir", tmp, "--logfile", log]  # fmt: skip
    proc = _spawn(argv)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            if await redis_reachable(url):
                break
            await asyncio.sleep(0.05)
        else:
            yield None
            return
        yield url
    finally:
        proc.terminate()
        with suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        if proc.poll() is None:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def _spawn(argv: list[str]) -> subprocess.Popen[bytes]:
    """Start a helper process (a plain call: spawning takes microseconds, not I/O waits)."""
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


def _cpu_model() -> str:
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


async def describe_machine(engine: Any, redis_url: str | None) -> dict[str, Any]:
    """CPU, memory, OS, Python and the server versions, for the table's caption."""
    import psutil

    info: dict[str, Any] = {
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "database": engine.dialect.name,
    }
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            info["database_version"] = str(await conn.scalar(text("show server_version")))
        else:
            info["database_version"] = "SQLite " + str(
                await conn.scalar(text("select sqlite_version()"))
            )
    if redis_url:
        client = aredis.from_url(redis_url)
        try:
            server = await client.info("server")
            info["redis_version"] = str(server.get("redis_version"))
        finally:
            await client.aclose()
    else:
        info["redis_version"] = None
    return info
