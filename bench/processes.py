"""The processes the HTTP scenarios need: API servers, the ceiling app, the load generator.

Every process is ours: started here, ended here by its own pid (never by name).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import orjson
import psutil

from bench.environment import free_port
from bench.httpclient import Connection

#: The folder holding the ``bench`` package: the working folder of the subprocesses that run
#: its modules (``python -m`` imports from there), wherever the benchmark was started.
BENCH_ROOT = Path(__file__).resolve().parent.parent


class ServerProcess:
    """One HTTP server subprocess on 127.0.0.1 and a free port."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        ready_path: str,
        log_dir: Path,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.cwd = cwd
        self.port = free_port()
        self.argv = [a.replace("{port}", str(self.port)) for a in argv]
        self.env = env
        self.ready_path = ready_path
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def _spawn(self) -> subprocess.Popen[bytes]:
        """Our own interpreter and arguments, in a session of its own (stopped as a group)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            return subprocess.Popen(  # noqa: S603
                self.argv,
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    async def start(self, wait_s: float = 60.0) -> None:
        self.proc = self._spawn()
        deadline = time.monotonic() + wait_s
        conn = Connection("127.0.0.1", self.port)
        try:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited early:\n{self.log_tail()}")
                try:
                    if (await conn.request("GET", self.ready_path)).status == 200:
                        return
                except (OSError, asyncio.IncompleteReadError):
                    await conn.close()
                await asyncio.sleep(0.2)
        finally:
            await conn.close()
        raise RuntimeError(f"{self.name} not ready after {wait_s:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def rss_bytes(self) -> int:
        """RSS of the process that serves: the workers when uvicorn forked any, else itself."""
        if self.proc is None:
            return 0
        proc = psutil.Process(self.proc.pid)
        children = proc.children(recursive=True)
        targets = children or [proc]
        return int(max(p.memory_info().rss for p in targets))

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        # The server is its own session leader: signal its group (its workers) and no one else.
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)


def api_server(name: str, env: dict[str, str], log_dir: Path, workers: int = 1) -> ServerProcess:
    argv = [
        sys.executable, "-m", "slotwise.cli", "serve",
        "--host", "127.0.0.1", "--port", "{port}", "--workers", str(workers),
    ]  # fmt: skip
    return ServerProcess(name, argv, env, "/health/live", log_dir)


def ceiling_server(env: dict[str, str], log_dir: Path) -> ServerProcess:
    argv = [
        sys.executable, "-m", "uvicorn", "bench.ceiling:app",
        "--host", "127.0.0.1", "--port", "{port}", "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    return ServerProcess("ceiling", argv, env, "/api/constant", log_dir, cwd=BENCH_ROOT)


class LoadGenerator:
    """The load-generator subprocess (``bench.loadgen``), one job at a time."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.env = env
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Self:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.loadgen",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            env=self.env, cwd=BENCH_ROOT, limit=256 * 2**20,
        )  # fmt: skip
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.proc is None:
            return
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), timeout=10)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()

    async def run(self, job: dict[str, Any]) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout
        self.proc.stdin.write(orjson.dumps(job) + b"\n")
        await self.proc.stdin.drain()
        line = await self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the load generator exited")
        answer = orjson.loads(line)
        if not answer["ok"]:
            raise RuntimeError(f"load generator: {answer['error']}")
        result: dict[str, Any] = answer["result"]
        return result
