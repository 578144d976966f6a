"""Starting and stopping `slotwise serve` subprocesses in tests, and the ports they listen on.

The server runs in a session of its own and is stopped as a process group: uvicorn's worker
processes must not outlive a test (an orphaned worker keeps its port and its database
connections).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

import httpx


def free_port() -> int:
    """A loopback TCP port nothing listens on now (the kernel's pick)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(
    url: str, proc: subprocess.Popen[bytes], log: Path | None = None, timeout: float = 60.0
) -> None:
    """Until ``url``'s ``/health/ready`` answers 200; fails at once if ``proc`` exits, and
    says the end of its ``log`` when there is one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"slotwise serve exited with {proc.returncode}{_tail(log)}")
        try:
            if httpx.get(f"{url}/health/ready", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"slotwise serve did not become ready{_tail(log)}")


def _tail(log: Path | None) -> str:
    return f"; server log:\n{log.read_text(errors='replace')[-4000:]}" if log is not None else ""


def spawn(
    cmd: Sequence[str], env: Mapping[str, str], log: IO[bytes] | int
) -> subprocess.Popen[bytes]:
    """Start ``cmd`` as a new session; its output goes to ``log`` (a file: never an unread pipe,
    which blocks a chatty server once 64 KiB are buffered)."""
    return subprocess.Popen(
        list(cmd), env=dict(env), stdout=subprocess.DEVNULL, stderr=log, start_new_session=True
    )


def stop(proc: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """SIGTERM the whole group, SIGKILL it if it does not stop in time."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            continue
        # The supervisor is gone; make sure no worker of its group lingers.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        return
