"""A local Redis Cluster or Sentinel group for a test, started with the ``deploy/local`` scripts
on free loopback ports and always stopped, and the faults a test wants: SIGKILL a primary,
wait until the topology has failed over.

    with local_cluster(tmp_path) as topo:        # 3 primaries + 3 replicas
        env = topo.env                           # REDIS_MODE=cluster, REDIS_URL=...
        port = topo.kill_primary()               # SIGKILL one primary
        topo.wait_failover(port)                 # a replica took its slots over
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "deploy" / "local"
CLUSTER_BUS_OFFSET = 10000  # Redis Cluster's bus listens on port + 10000


def ports_free(ports: list[int]) -> bool:
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def free_base(count: int, bus: bool = False) -> int:
    """A port p with p..p+count-1 free (and their cluster bus ports when ``bus``)."""
    for _ in range(200):
        with socket.socket() as sock:  # let the kernel suggest a region, then check it
            sock.bind(("127.0.0.1", 0))
            base = 20000 + int(sock.getsockname()[1]) % 30000
        ports = list(range(base, base + count))
        if bus:
            ports += [p + CLUSTER_BUS_OFFSET for p in ports]
        if max(ports) < 65536 and ports_free(ports):
            return base
    raise RuntimeError("no free port range for a local Redis topology")


def _client(port: int) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=port, socket_timeout=1, socket_connect_timeout=1)


def wait_until(what: str, timeout: float, check: object) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(redis.RedisError, OSError):
            if check():  # type: ignore[operator]
                return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class LocalTopology:
    """A running topology: its settings (``env``) and its nodes' files under ``dir``."""

    kind: str
    base: int
    dir: Path
    env: dict[str, str] = field(default_factory=dict)
    killed: list[int] = field(default_factory=list)

    def script(self, command: str) -> str:
        done = subprocess.run(
            [
                "bash",
                str(SCRIPTS / f"redis-{self.kind}.sh"),
                command,
                str(self.base),
                str(self.dir),
            ],
            capture_output=True,
            text=True,
            timeout=90,
        )
        if done.returncode != 0:
            raise RuntimeError(f"redis-{self.kind}.sh {command} failed: {done.stderr[-2000:]}")
        return done.stdout

    def data_ports(self) -> list[int]:
        return list(range(self.base, self.base + (6 if self.kind == "cluster" else 2)))

    def role(self, port: int) -> str:
        with contextlib.closing(_client(port)) as client:
            role = client.execute_command("ROLE")[0]  # type: ignore[no-untyped-call]
        return role.decode() if isinstance(role, bytes) else str(role)

    def primaries(self) -> list[int]:
        """The data nodes that are primaries now (killed ones excluded)."""
        found = []
        for port in self.data_ports():
            if port in self.killed:
                continue
            with contextlib.suppress(redis.RedisError, OSError):
                if self.role(port) == "master":
                    found.append(port)
        return found

    def kill(self, port: int) -> None:
        """SIGKILL the node on ``port`` (its pid file is ours: nothing else is touched)."""
        pid = int((self.dir / str(port) / "redis.pid").read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        assert b"redis-server" in cmdline and str(port).encode() in cmdline, cmdline
        os.kill(pid, signal.SIGKILL)
        self.killed.append(port)

    def kill_primary(self, port: int | None = None) -> int:
        port = port if port is not None else self.primaries()[0]
        self.kill(port)
        return port

    def wait_failover(self, old_primary: int, timeout: float = 30) -> int:
        """Wait until a replica has replaced ``old_primary``; the new primary's port."""
        if self.kind == "cluster":
            wait_until("the cluster to fail over", timeout, lambda: self._cluster_ok(old_primary))
            return self._cluster_promoted(old_primary)
        wait_until(
            "sentinel to fail over", timeout, lambda: self._sentinel_primary() != old_primary
        )
        return self._sentinel_primary()

    def _cluster_ok(self, old_primary: int) -> bool:
        alive = [p for p in self.data_ports() if p not in self.killed]
        for port in alive:
            with contextlib.closing(_client(port)) as client:
                info = client.execute_command("CLUSTER INFO")  # type: ignore[no-untyped-call]
            if info.get("cluster_state") != "ok":
                return False
        return len(self.primaries()) == 3

    def _cluster_promoted(self, old_primary: int) -> int:
        before = set(self.data_ports()[:3])
        promoted = [p for p in self.primaries() if p not in before]
        return promoted[0] if promoted else self.primaries()[0]

    def sentinel_ports(self) -> list[int]:
        return [self.base + 2, self.base + 3, self.base + 4]

    def _sentinel_primary(self) -> int:
        for port in self.sentinel_ports():
            with (
                contextlib.suppress(redis.RedisError, OSError),
                contextlib.closing(_client(port)) as client,
            ):
                found: Any = client.sentinel_get_master_addr_by_name("slotwise")
                return int(found[1])
        raise redis.ConnectionError("no sentinel answers")


def parse_env(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


@contextlib.contextmanager
def local_topology(kind: str, tmp_path: Path) -> Iterator[LocalTopology]:
    """Start ``deploy/local/redis-<kind>.sh`` on free ports; always stop it."""
    base = free_base(6 if kind == "cluster" else 5, bus=kind == "cluster")
    topo = LocalTopology(kind, base, tmp_path / f"redis-{kind}")
    try:
        topo.env = parse_env(topo.script("start"))
        yield topo
    finally:
        topo.script("stop")


def local_cluster(tmp_path: Path) -> contextlib.AbstractContextManager[LocalTopology]:
    return local_topology("cluster", tmp_path)


def local_sentinel(tmp_path: Path) -> contextlib.AbstractContextManager[LocalTopology]:
    return local_topology("sentinel", tmp_path)
