"""Scenario 4's load: Zipf-distributed reads with a share of writes, checked for stale reads.

Runs inside the load-generator process. The generator is the only writer, so it knows the
committed state of every entity: after a write is acknowledged (2xx) the entity's expected
state is what that write set. A read is *checked* against it only if no write to anything
it shows was in flight at any moment of the read (then the only correct answer is the
expected state); a checked read that differs is a stale read. Writes never overlap on one
entity (a per-entity lock), so "in flight" is exact.

Writes (``write_fraction`` of all requests): mostly a slot booked (candidate name
``bench-<seq>``) or released, alternately, as candidates do; a share of them
(``rename_share``) renames a recruiter to ``<name> v<seq>``. A slot read shows the slot and
its recruiter's name, so a slot cached across a recruiter rename counts as stale too
(reported apart).

The cache hit rate is taken from the servers' own counters (``/api/metrics/summary``, summed
over the workers) between the end of the priming pass and the end of the load, so the cold
start is not counted; without that endpoint, Redis' keyspace hits/misses stand in. A read
that waited for another request's load counts as a miss (as Guava counts it). The loads a
write starts to refresh what it changed (``slotwise.cache.refresh``) are not reads: they are
reported apart (``cache_refreshes``), next to the number of writes.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import random
import time
from dataclasses import dataclass, field
from typing import Any

from bench.httpclient import Connection, Response

CANDIDATE_BASE = 990_000_000


@dataclass
class Entity:
    """What the generator knows about one entity: its expected state and writes in flight."""

    state: Any = None
    started: int = 0
    acked: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    holder: int | None = None  # slots: the candidate that holds it
    base_name: str = ""  # recruiters: the name before any rename

    def snapshot(self) -> tuple[int, int]:
        return self.started, self.acked


class ZipfSampler:
    """Draws indexes 0..n-1 with P(k) proportional to 1/(k+1)^s (the hot head first)."""

    def __init__(self, n: int, s: float, rng: random.Random) -> None:
        weights = [1.0 / (k + 1) ** s for k in range(n)]
        self._cum = list(itertools.accumulate(weights))
        self._total = self._cum[-1]
        self._rng = rng

    def draw(self) -> int:
        return bisect.bisect_left(self._cum, self._rng.random() * self._total)


def slot_state(body: dict[str, Any]) -> tuple[str, str | None]:
    candidate = body.get("candidate")
    return str(body.get("status")), candidate.get("name") if candidate else None


@dataclass
class Counters:
    reads: int = 0
    writes: int = 0
    checked: int = 0
    stale_entity: int = 0
    stale_embedded: int = 0
    errors: int = 0
    write_errors: int = 0
    examples: list[str] = field(default_factory=list)
    read_latency_ms: list[float] = field(default_factory=list)
    write_latency_ms: list[float] = field(default_factory=list)

    def stale(self, kind: str, message: str) -> None:
        if kind == "entity":
            self.stale_entity += 1
        else:
            self.stale_embedded += 1
        if len(self.examples) < 10:
            self.examples.append(message)


class ZipfWorkload:
    def __init__(self, job: dict[str, Any]) -> None:
        self.job = job
        self.rng = random.Random(job.get("seed", 7))
        self.slots: dict[int, Entity] = {i: Entity() for i in job["slot_ids"]}
        self.recruiters: dict[int, Entity] = {i: Entity() for i in job["recruiter_ids"]}
        self.slot_recruiter: dict[int, int] = {}
        self.slot_order = list(job["slot_ids"])
        self.recruiter_order = list(job["recruiter_ids"])
        self.rng.shuffle(self.slot_order)  # hotness independent of id order
        self.rng.shuffle(self.recruiter_order)
        s = float(job.get("zipf_s", 1.1))
        self.slot_zipf = ZipfSampler(len(self.slot_order), s, self.rng)
        self.recruiter_zipf = ZipfSampler(len(self.recruiter_order), s, self.rng)
        self.seq = itertools.count(1)
        self.counters = Counters()
        self.headers = {"Authorization": f"Bearer {job['admin_token']}"}
        #: The trace, in the order requests started: ("r", key) reads, ("w", key) writes.
        self.trace: list[tuple[str, tuple[str, int]]] = []

    def _connections(self) -> list[Connection]:
        servers = self.job["servers"]
        return [Connection(h, p, self.headers) for h, p in servers]

    async def prime(self) -> None:
        """Learn every entity's starting state (and each slot's recruiter) once."""
        conns = self._connections()
        for index, (rid, ent) in enumerate(self.recruiters.items()):
            body = await self._json(conns[index % len(conns)], f"/api/recruiters/{rid}")
            ent.state = ent.base_name = str(body["name"])
        for index, (sid, ent) in enumerate(self.slots.items()):
            body = await self._json(conns[index % len(conns)], f"/api/slots/{sid}")
            ent.state = slot_state(body)
            self.slot_recruiter[sid] = int(body["recruiter_id"])
        for conn in conns:
            await conn.close()

    @staticmethod
    async def _json(conn: Connection, path: str) -> dict[str, Any]:
        response = await conn.request("GET", path)
        if response.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.status} {response.body[:200]!r}")
        body = response.json()
        assert isinstance(body, dict)
        return body

    async def run(self) -> dict[str, Any]:
        await self.prime()
        counter = HitCounter(self.job["servers"], self.headers, self.job.get("redis_url"))
        await counter.start()
        deadline = time.perf_counter() + float(self.job["duration"])
        workers = [self._worker(deadline, i) for i in range(int(self.job["concurrency"]))]
        started = time.perf_counter()
        await asyncio.gather(*workers)
        elapsed = time.perf_counter() - started
        hit_counts = await counter.finish()
        c = self.counters
        return {
            **hit_counts,
            "oracle_hit_rate_percent": oracle_hit_rate(
                self.trace, self.slot_recruiter, list(self.recruiters)
            ),
            "reads": c.reads,
            "writes": c.writes,
            "checked_reads": c.checked,
            "stale_reads": c.stale_entity,
            "stale_embedded_reads": c.stale_embedded,
            "errors": c.errors,
            "write_errors": c.write_errors,
            "stale_examples": c.examples,
            "elapsed_s": elapsed,
            "rps": (c.reads + c.writes) / elapsed if elapsed else 0.0,
            "read_latency_ms": c.read_latency_ms,
            "write_latency_ms": c.write_latency_ms,
        }

    async def _worker(self, deadline: float, index: int) -> None:
        """One connection of its own, to the servers in turn (worker i -> server i mod n)."""
        host, port = self.job["servers"][index % len(self.job["servers"])]
        conn = Connection(host, port, self.headers)
        write_fraction = float(self.job.get("write_fraction", 0.05))
        rename_share = float(self.job.get("rename_share", 0.1))
        try:
            while time.perf_counter() < deadline:
                if self.rng.random() < write_fraction:
                    if self.rng.random() < rename_share:
                        await self._write_recruiter(conn)
                    else:
                        await self._write_slot(conn)
                elif self.rng.random() < 0.5:
                    await self._read_slot(conn)
                else:
                    await self._read_recruiter(conn)
        finally:
            await conn.close()

    # reads -------------------------------------------------------------------------------

    async def _timed_get(self, conn: Connection, path: str) -> Response | None:
        start = time.perf_counter()
        try:
            response = await conn.request("GET", path)
        except (OSError, asyncio.IncompleteReadError):
            self.counters.errors += 1
            return None
        self.counters.read_latency_ms.append((time.perf_counter() - start) * 1000)
        self.counters.reads += 1
        if response.status != 200:
            self.counters.errors += 1
            return None
        return response

    async def _read_recruiter(self, conn: Connection) -> None:
        rid = self.recruiter_order[self.recruiter_zipf.draw()]
        self.trace.append(("r", ("recruiter", rid)))
        ent = self.recruiters[rid]
        before = ent.snapshot()
        response = await self._timed_get(conn, f"/api/recruiters/{rid}")
        if response is None:
            return
        body = response.json()
        assert isinstance(body, dict)
        if _quiet(before, ent.snapshot()) and ent.state is not None:
            self.counters.checked += 1
            if body["name"] != ent.state:
                self.counters.stale(
                    "entity", f"recruiter {rid}: read {body['name']!r}, committed {ent.state!r}"
                )

    async def _read_slot(self, conn: Connection) -> None:
        sid = self.slot_order[self.slot_zipf.draw()]
        self.trace.append(("r", ("slot", sid)))
        ent = self.slots[sid]
        rec = self.recruiters.get(self.slot_recruiter[sid])
        before, rec_before = ent.snapshot(), rec.snapshot() if rec else None
        response = await self._timed_get(conn, f"/api/slots/{sid}")
        if response is None:
            return
        body = response.json()
        assert isinstance(body, dict)
        checked = False
        if _quiet(before, ent.snapshot()) and ent.state is not None:
            checked = True
            if slot_state(body) != ent.state:
                self.counters.stale(
                    "entity", f"slot {sid}: read {slot_state(body)}, committed {ent.state}"
                )
        if rec is not None and rec_before is not None and _quiet(rec_before, rec.snapshot()):
            checked = True
            shown = (body.get("recruiter") or {}).get("name")
            if rec.state is not None and shown != rec.state:
                self.counters.stale(
                    "embedded", f"slot {sid}: recruiter name {shown!r}, committed {rec.state!r}"
                )
        self.counters.checked += int(checked)

    # writes ------------------------------------------------------------------------------

    async def _write(self, conn: Connection, method: str, path: str, body: object) -> bool:
        start = time.perf_counter()
        try:
            response = await conn.request(method, path, body)
        except (OSError, asyncio.IncompleteReadError):
            self.counters.write_errors += 1
            return False
        self.counters.write_latency_ms.append((time.perf_counter() - start) * 1000)
        self.counters.writes += 1
        if not 200 <= response.status < 300:
            self.counters.write_errors += 1
            if len(self.counters.examples) < 10:
                self.counters.examples.append(
                    f"write {method} {path}: HTTP {response.status} {response.body[:120]!r}"
                )
            return False
        return True

    async def _write_slot(self, conn: Connection) -> None:
        sid = self.slot_order[self.slot_zipf.draw()]
        ent = self.slots[sid]
        if ent.lock.locked() or ent.state is None:
            return await self._read_slot(conn)
        async with ent.lock:
            seq = next(self.seq)
            ent.started += 1
            self.trace.append(("w", ("slot", sid)))
            try:
                if ent.state[0] == "free":
                    telegram_id = CANDIDATE_BASE + seq
                    name = f"bench-{seq}"
                    body = {"telegram_id": telegram_id, "name": name}
                    if await self._write(conn, "POST", f"/api/slots/{sid}/book", body):
                        ent.state, ent.holder = ("pending", name), telegram_id
                    else:
                        ent.state = None  # unknown now: stop checking this slot
                else:
                    body = {"telegram_id": ent.holder}
                    if await self._write(conn, "POST", f"/api/slots/{sid}/release", body):
                        ent.state, ent.holder = ("free", None), None
                    else:
                        ent.state = None
            finally:
                ent.acked += 1
        return None

    async def _write_recruiter(self, conn: Connection) -> None:
        rid = self.recruiter_order[self.recruiter_zipf.draw()]
        ent = self.recruiters[rid]
        if ent.lock.locked() or ent.state is None:
            return await self._read_recruiter(conn)
        async with ent.lock:
            seq = next(self.seq)
            name = f"{ent.base_name[:80]} v{seq}"
            ent.started += 1
            self.trace.append(("w", ("recruiter", rid)))
            try:
                if await self._write(conn, "PATCH", f"/api/recruiters/{rid}", {"name": name}):
                    ent.state = name
                else:
                    ent.state = None
            finally:
                ent.acked += 1
        return None


class HitCounter:
    """Cache hits and misses over the load: the servers' counters, else Redis' own."""

    def __init__(
        self, servers: list[list[Any]], headers: dict[str, str], redis_url: str | None
    ) -> None:
        self.servers = servers
        self.headers = headers
        self.redis_url = redis_url
        self.source = "cache decorator counters (/api/metrics/summary, all workers)"
        self._before: tuple[int, int, int] | None = None

    async def start(self) -> None:
        self._before = await self._servers() or await self._redis()

    async def _servers(self) -> tuple[int, int, int] | None:
        hits = misses = refreshes = 0
        for host, port in self.servers:
            conn = Connection(host, int(port), self.headers)
            try:
                response = await conn.request("GET", "/api/metrics/summary")
            finally:
                await conn.close()
            body = response.json() if response.status == 200 else None
            cache = body.get("cache") if isinstance(body, dict) else None
            if not isinstance(cache, dict) or "hits" not in cache:
                return None
            hits, misses = hits + int(cache["hits"]), misses + int(cache["misses"])
            refreshes += int(cache.get("refreshes", 0))
        return hits, misses, refreshes

    async def _redis(self) -> tuple[int, int, int] | None:
        if not self.redis_url:
            return None
        import redis.asyncio as aredis

        self.source = "Redis keyspace_hits/misses (the servers report no cache counters)"
        client = aredis.from_url(self.redis_url)
        try:
            stats = await client.info("stats")
        finally:
            await client.aclose()
        return int(stats.get("keyspace_hits", 0)), int(stats.get("keyspace_misses", 0)), 0

    async def finish(self) -> dict[str, Any]:
        after = await (self._redis() if self.source.startswith("Redis") else self._servers())
        if self._before is None or after is None:
            return {"cache_hits": None, "cache_misses": None, "hit_rate_percent": None}
        hits, misses = after[0] - self._before[0], after[1] - self._before[1]
        refreshes = after[2] - self._before[2]
        rate = round(100.0 * hits / (hits + misses), 2) if hits + misses else None
        return {
            "cache_hits": hits,
            "cache_misses": misses,
            # Loads a write started for what it changed (``cache.refresh``): not reads.
            "cache_refreshes": refreshes,
            "hit_rate_percent": rate,
            "hit_rate_source": self.source,
        }


def oracle_hit_rate(
    trace: list[tuple[str, tuple[str, int]]],
    slot_recruiter: dict[int, int],
    recruiter_ids: list[int],
) -> float | None:
    """The hit rate of an oracle cache on the same trace: unbounded memory, every entity
    cached after the warm-up reads, and exact invalidation (a slot write drops that slot; a
    recruiter rename drops the recruiter and the slots that show it; nothing else)."""
    slots_of: dict[int, list[int]] = {}
    for sid, rid in slot_recruiter.items():
        slots_of.setdefault(rid, []).append(sid)
    cached: set[tuple[str, int]] = {("slot", sid) for sid in slot_recruiter}
    cached |= {("recruiter", rid) for rid in recruiter_ids}
    hits = reads = 0
    for kind, key in trace:
        if kind == "r":
            reads += 1
            if key in cached:
                hits += 1
            else:
                cached.add(key)
            continue
        cached.discard(key)
        if key[0] == "recruiter":
            cached.difference_update(("slot", sid) for sid in slots_of.get(key[1], ()))
    return round(100.0 * hits / reads, 2) if reads else None


def _quiet(before: tuple[int, int], after: tuple[int, int]) -> bool:
    """No write was in flight at the start, and none started before the end."""
    return before[0] == before[1] and after[0] == before[0]
