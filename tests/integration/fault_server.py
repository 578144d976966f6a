"""An API process for the cache fault suite: ``slotwise serve`` (one worker) plus two test-only
faults, switched on by renaming a recruiter to a marked name:

* ``KILL-...``: the process SIGKILLs itself right after COMMIT, before any after-commit step
  (a writer that dies between COMMIT and its invalidation);
* ``RAISE-...``: COMMIT commits, then raises (a lost reply: the outcome looks unknown).

Nothing here is imported by the application; it patches this process only.

    python -m tests.integration.fault_server <port>
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

import uvicorn
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from slotwise.domain.models import Recruiter

_commit = AsyncSession.commit


def _marks(session: AsyncSession) -> set[str]:
    found: set[str] = set()
    for entity in session.sync_session.identity_map.values():
        if isinstance(entity, Recruiter):
            name = entity.__dict__.get("name") or ""
            found.update(mark for mark in ("KILL-", "RAISE-") if name.startswith(mark))
    return found


async def _commit_with_faults(self: AsyncSession) -> Any:
    marks = _marks(self)
    await _commit(self)
    if "KILL-" in marks:
        os.kill(os.getpid(), signal.SIGKILL)
    if "RAISE-" in marks:
        raise OperationalError("COMMIT", {}, ConnectionResetError("injected: reply lost"))


def main() -> None:
    assert os.environ.get("SLOTWISE_FAULT_HOOKS") == "1", "test-only: see the module doc"
    AsyncSession.commit = _commit_with_faults  # type: ignore[method-assign]
    uvicorn.run(
        "slotwise.api.app:create_app",
        factory=True,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
