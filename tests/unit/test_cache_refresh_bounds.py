"""``cache.refresh`` bounds: at most ``MAX_RUNNING`` refreshes at once per process (the rest
are skipped, not queued), each in an empty context, all cancellable when the cache closes."""

from __future__ import annotations

import asyncio
import contextvars

from slotwise.cache import refresh

_REQUEST = contextvars.ContextVar("request", default="none")


async def test_refreshes_beyond_the_bound_are_skipped_and_close_cancels_the_rest() -> None:
    gate = asyncio.Event()
    started: list[int] = []

    def blocked(n: int) -> refresh.Read:
        async def read() -> None:
            started.append(n)
            await gate.wait()

        return read

    accepted = [refresh.start(blocked(n)) for n in range(refresh.MAX_RUNNING + 2)]
    await asyncio.sleep(0)
    assert accepted == [True] * refresh.MAX_RUNNING + [False, False]
    assert started == list(range(refresh.MAX_RUNNING))
    refresh.cancel()
    await refresh.drain()  # cancelled ones end too
    assert refresh.start(blocked(99))  # room again
    gate.set()
    await refresh.drain()
    assert started[-1] == 99


async def test_a_refresh_runs_in_an_empty_context_and_knows_it_is_one() -> None:
    seen: list[tuple[str, bool]] = []

    async def read() -> None:
        seen.append((_REQUEST.get(), refresh.refreshing()))

    _REQUEST.set("request-42")
    assert refresh.start(read)
    await refresh.drain()
    assert seen == [("none", True)]
    assert not refresh.refreshing()  # the writer itself is not a refresh
