"""A worker process for the cross-process cache test: reads commands on stdin, answers on stdout.

    read <recruiter_id>           -> the recruiter's name (through the cached repository)
    write <recruiter_id> <name>   -> "ok" once the rename is committed

It uses the process-wide settings (DATABASE_URL, REDIS_URL, CACHE_KEY_PREFIX), as a worker of
``slotwise serve`` would.
"""

from __future__ import annotations

import asyncio
import sys

from slotwise.cache.client import setup_cache_from_settings
from slotwise.repositories import UnitOfWork
from slotwise.result import Success


async def handle(line: str) -> str:
    command, recruiter_id, *rest = line.split()
    if command == "read":
        async with UnitOfWork(read_only=True) as uow:
            found = await uow.recruiters.get(int(recruiter_id))
        return found.value.name if isinstance(found, Success) else f"error {found!r}"
    async with UnitOfWork() as uow:
        found = await uow.recruiters.get(int(recruiter_id))
        if not isinstance(found, Success):
            return f"error {found!r}"
        found.value.name = rest[0]
        if not isinstance(await uow.recruiters.update(found.value), Success):
            return "error update"
        await uow.commit()
    return "ok"


async def main() -> None:
    assert await setup_cache_from_settings() is not None
    loop = asyncio.get_running_loop()
    print("ready", flush=True)
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        print(await handle(line), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
