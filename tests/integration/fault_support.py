"""What the cache fault-injection suite runs: a private ``redis-server`` it may break, two
``slotwise serve``-like API processes on the test PostgreSQL, and a checker that compares every
read with the acknowledged writes.

Only servers started here are ever reconfigured, paused or killed (never the shared 6379).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import redis

from tests.servers import free_port, spawn, stop

ROOT = Path(__file__).resolve().parents[2]
ADMIN = {"Authorization": "Bearer test-admin-token"}
PREFIX = "faults"


def _wait_port(port: int, proc: subprocess.Popen[Any], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"{what} did not start on {port}")


class PrivateRedis:
    """A redis-server of the suite's own: configure, snapshot, kill -9, restart from a file."""

    def __init__(self) -> None:
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="slotwise-faults-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "the fault suite needs redis-server"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder), "--dbfilename", "dump.rdb"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_port(self.port, self.process, "redis-server")

    def admin(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5)

    def reset(self) -> None:
        """Back to a plain, empty, writable primary."""
        with self.admin() as r:
            r.execute_command("CLIENT", "UNPAUSE")
            r.execute_command("REPLICAOF", "NO", "ONE")
            r.config_set("maxmemory", 0)
            r.config_set("maxmemory-policy", "noeviction")
            r.flushall()

    def snapshot(self) -> Path:
        """An RDB of what Redis holds now (a backup, or what a crash would come back with)."""
        with self.admin() as r:
            r.save()
        copy = self.folder / f"old-{time.monotonic_ns()}.rdb"
        shutil.copy(self.folder / "dump.rdb", copy)
        return copy

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None

    def discard(self) -> None:
        """Kill it and remove its folder (RDB snapshots): the end of a fixture, not a restart."""
        self.kill()
        shutil.rmtree(self.folder, ignore_errors=True)

    def restart_from(self, rdb: Path) -> None:
        self.kill()
        shutil.copy(rdb, self.folder / "dump.rdb")
        self.start()

    def cache_keys(self) -> list[bytes]:
        with self.admin() as r:
            return list(r.scan_iter(match=f"{PREFIX}:*", count=1000))


class Api:
    """One API process (uvicorn, one worker) with the suite's test-only hooks."""

    def __init__(self, redis_url: str, log: IO[bytes]) -> None:
        self.port = free_port()
        self.redis_url = redis_url
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", headers=ADMIN)

    def start(self) -> None:
        env = dict(
            os.environ,
            REDIS_URL=self.redis_url,
            CACHE_KEY_PREFIX=PREFIX,
            CACHE_ENABLED="true",
            SLOTWISE_FAULT_HOOKS="1",
            PYTHONPATH=str(ROOT),
        )
        cmd = [sys.executable, "-m", "tests.integration.fault_server", str(self.port)]
        self.process = spawn(cmd, env, self.log)
        _wait_port(self.port, self.process, "API process")

    def ensure_running(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self.start()

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None

    def ready_cache(self) -> str:
        return str(self.http.get("/health/ready").json()["cache"])

    def hits(self) -> float:
        """Cache hits this process served so far (its /metrics)."""
        text = self.http.get("/metrics").text
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("slotwise_cache_hits_total")
        )


@dataclass
class Tally:
    """Reads checked against the acknowledged writes."""

    reads: int = 0
    stale: list[str] = field(default_factory=list)
    late_stale: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class Checker:
    """Renames one recruiter (who has one slot) through the API processes and reads it back
    through every process and every view: the recruiter, the recruiter list, the slot list
    (which embeds the recruiter's name)."""

    def __init__(self, apis: list[Api], recruiter_id: int) -> None:
        self.apis = apis
        self.recruiter_id = recruiter_id
        self.expected = ""
        self.acked_at = 0.0
        self.tally = Tally()

    def write(self, name: str, through: int = 0) -> bool:
        """Rename; True once acknowledged (the 200 came back)."""
        api = self.apis[through % len(self.apis)]
        try:
            reply = api.http.patch(f"/api/recruiters/{self.recruiter_id}", json={"name": name})
        except httpx.HTTPError as exc:
            self.tally.failed.append(f"write {name}: {exc!r}")
            return False
        if reply.status_code != 200:
            self.tally.failed.append(f"write {name}: {reply.status_code}")
            return False
        self.acknowledged(name)
        return True

    def acknowledged(self, name: str) -> None:
        self.expected = name
        self.acked_at = time.monotonic()

    def views(self, api: Api) -> list[tuple[str, str | None]]:
        rid = self.recruiter_id
        one = api.http.get(f"/api/recruiters/{rid}")
        listed = api.http.get("/api/recruiters", params={"limit": 50})
        slots = api.http.get("/api/slots", params={"recruiter_id": rid})
        out: list[tuple[str, str | None]] = []
        for view, reply in (("one", one), ("list", listed), ("slots", slots)):
            if reply.status_code != 200:
                self.tally.failed.append(f"{view}: {reply.status_code}")
                continue
            out.append((view, _name_in(view, reply.json(), rid)))
        return out

    def read_all(self) -> None:
        for index, api in enumerate(self.apis):
            started = time.monotonic()
            try:
                seen = self.views(api)
            except httpx.HTTPError as exc:
                self.tally.failed.append(f"read via {index}: {exc!r}")
                continue
            for view, name in seen:
                self.tally.reads += 1
                if name != self.expected:
                    note = f"api{index} {view}: {name!r} != {self.expected!r}"
                    self.tally.stale.append(note)
                    if started - self.acked_at > 1.0:
                        self.tally.late_stale.append(note)


def _name_in(view: str, body: Any, rid: int) -> str | None:
    if view == "one":
        return str(body["name"])
    if view == "list":
        return next((str(r["name"]) for r in body["items"] if r["id"] == rid), None)
    names = {s["recruiter"]["name"] for s in body["items"]}
    return str(names.pop()) if len(names) == 1 else repr(sorted(names))
