"""Starting and stopping `slotwise serve` subprocesses in tests.

The server runs in a session of its own and is stopped as a process group: uvicorn's worker
processes must not outlive a test (an orphaned worker keeps its port and its database
connections).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from typing import IO


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
