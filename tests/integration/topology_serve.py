"""Two ``slotwise serve`` processes on the test PostgreSQL and a local Redis topology, and a
read/write loop that checks every read against the acknowledged writes.

One writer renames a recruiter (``n0``, ``n1``, ...) through the servers in turn; readers read
it through both servers, as the recruiter, in the recruiter list and embedded in its slots. A
read that *started* after ``nK`` was acknowledged and returns ``nJ`` with J < K is stale.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests import servers
from tests.conftest import DATABASE_URL

ADMIN = {"Authorization": "Bearer topo-admin"}
START = "2031-05-05T09:00:00Z"


def server_env(redis_env: dict[str, str], prefix: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDIS_")}
    env.update(redis_env)
    env.update(
        DATABASE_URL=DATABASE_URL,
        CACHE_ENABLED="true",
        CACHE_KEY_PREFIX=prefix,
        SLOTWISE_ADMIN_TOKENS="topo-admin",
        SLOTWISE_BOT_TOKENS="topo-bot",
        # CI's two cores are shared by everything in this test: a 50 ms timeout would make
        # the breaker open on scheduling noise alone
        REDIS_SOCKET_TIMEOUT="0.5",
        REDIS_CONNECT_TIMEOUT="0.5",
        SLOTWISE_LOG_JSON="false",
    )
    return env


@contextmanager
def api_servers(redis_env: dict[str, str], prefix: str, logs: Path) -> Iterator[list[str]]:
    """Two single-worker ``slotwise serve`` processes; their base URLs. Always stopped."""
    slotwise = Path(sys.executable).with_name("slotwise")
    procs: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for i in range(2):
            port = servers.free_port()
            log_path = logs / f"server{i}.log"
            cmd = [str(slotwise), "serve", "--host", "127.0.0.1", "--port", str(port)]
            with log_path.open("wb") as log:
                procs.append(servers.spawn(cmd, server_env(redis_env, prefix), log))
            urls.append(f"http://127.0.0.1:{port}")
            servers.wait_ready(urls[-1], procs[-1], log_path)
        yield urls
    finally:
        for proc in procs:
            servers.stop(proc)


async def cache_hits(http: httpx.AsyncClient, url: str) -> float:
    text = (await http.get(f"{url}/metrics")).text
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "slotwise_cache_hits_total"
    )


async def new_recruiter(http: httpx.AsyncClient, url: str, slots: int = 3) -> int:
    created = await http.post(f"{url}/api/recruiters", json={"name": "n0"}, headers=ADMIN)
    assert created.status_code == 201, created.text
    rid = int(created.json()["id"])
    for i in range(slots):
        body = {"recruiter_id": rid, "start_utc": START.replace("09", f"{10 + i:02d}", 1)}
        made = await http.post(f"{url}/api/slots", json=body, headers=ADMIN)
        assert made.status_code == 201, made.text
    return rid


async def slot_of(http: httpx.AsyncClient, url: str, rid: int) -> int:
    """One slot of recruiter ``rid`` (a single-slot read embeds the recruiter's name)."""
    found = await http.get(f"{url}/api/slots?recruiter_id={rid}&limit=1", headers=ADMIN)
    assert found.status_code == 200, found.text
    return int(found.json()["items"][0]["id"])


@dataclass
class Outcome:
    """What the loop saw: reads (start time, stale?), failed requests, writes acknowledged."""

    reads: list[tuple[float, bool]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    writes: int = 0
    #: (started, server, path, last acknowledged, names seen) of each stale read
    stale: list[tuple[float, str, str, int, list[int]]] = field(default_factory=list)

    def stale_after(self, moment: float) -> int:
        return sum(1 for started, stale in self.reads if stale and started >= moment)

    def reads_after(self, moment: float) -> int:
        return sum(1 for started, _ in self.reads if started >= moment)


def _names(path: str, body: object, rid: int) -> list[str]:
    """The recruiter's name(s) in a response of ``path``."""
    assert isinstance(body, dict)
    if path.startswith("/api/recruiters/"):
        return [str(body["name"])]
    if path.startswith("/api/slots/"):
        return [str(body["recruiter"]["name"])]
    items = body["items"]
    if path.startswith("/api/recruiters"):
        return [str(r["name"]) for r in items if r["id"] == rid]
    return [str(s["recruiter"]["name"]) for s in items]


class Loop:
    """The writer and the readers, until ``stop`` is set."""

    def __init__(self, http: httpx.AsyncClient, urls: list[str], rid: int, slot_id: int) -> None:
        self.http, self.urls, self.rid = http, urls, rid
        self.acked = 0
        self.outcome = Outcome()
        self.stop = asyncio.Event()
        self.paths = [
            f"/api/recruiters/{rid}",
            "/api/recruiters?limit=500",
            f"/api/slots?recruiter_id={rid}",
            f"/api/slots/{slot_id}",  # embeds the recruiter: dep keys and guard buckets
        ]

    async def _request(self, method: str, url: str, **kwargs: object) -> httpx.Response | None:
        try:
            response = await self.http.request(method, url, headers=ADMIN, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            self.outcome.failures.append(f"{method} {url}: {type(exc).__name__}")
            return None
        if response.status_code != 200:
            self.outcome.failures.append(f"{method} {url}: {response.status_code}")
            return None
        return response

    async def writer(self, pause: float = 0.05) -> None:
        k = 0
        while not self.stop.is_set():
            k += 1
            url = f"{self.urls[k % 2]}/api/recruiters/{self.rid}"
            if await self._request("PATCH", url, json={"name": f"n{k}"}) is not None:
                self.acked = k
                self.outcome.writes += 1
            await asyncio.sleep(pause)

    async def reader(self, which: int) -> None:
        i = 0
        while not self.stop.is_set():
            path = self.paths[i % len(self.paths)]
            i += 1
            floor, started = self.acked, time.monotonic()
            response = await self._request("GET", f"{self.urls[which]}{path}")
            if response is None:
                continue
            seen = [int(name[1:]) for name in _names(path, response.json(), self.rid)]
            stale = any(v < floor for v in seen) or not seen
            self.outcome.reads.append((started, stale))
            if stale:
                self.outcome.stale.append((started, self.urls[which], path, floor, seen))
            await asyncio.sleep(0.005)

    async def run(self, seconds: float) -> Outcome:
        """Run for ``seconds`` (or until ``stop`` is set elsewhere)."""
        tasks = [asyncio.create_task(self.writer())]
        tasks += [asyncio.create_task(self.reader(w)) for w in (0, 1, 0, 1)]
        try:
            await asyncio.wait_for(self.stop.wait(), seconds)
        except TimeoutError:
            self.stop.set()
        await asyncio.gather(*tasks)
        return self.outcome
