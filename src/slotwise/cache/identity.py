"""Which Redis am I talking to? Checked on every new connection, before it carries a command.

A Redis restarted (empty, or from an RDB/AOF older than the last writes), restored, or a
replica promoted by a failover has a new identity: ``run_id`` changes with every start and
``master_replid`` with every promotion. Versions stored there may be older than writes that
were acknowledged, so the first connection that sees an identity differing from the one
recorded in Redis (``{prefix}:owner``) starts a new generation and records the identity, in
one script; connections of every other process then find it recorded. Every process must
open new connections to a new server, so none serves a hit from it before the generation is
new. A connection whose check fails (READONLY, OOM, timeout) is refused: the caller fails
over to the database, as for any Redis error.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio.connection import Connection

from slotwise.cache.layout import VERSION_TTL_MS, gen_key, new_token, owner_key
from slotwise.cache.scripts import IDENTITY
from slotwise.cache.shards import own_slot_ranges, shards_in, tagged
from slotwise.cache.topology import ConnectHook


def _info_field(info: bytes, name: bytes) -> bytes:
    for line in info.splitlines():
        if line.startswith(name + b":"):
            return line.split(b":", 1)[1].strip()
    return b""


async def _ask(conn: Connection, *args: Any) -> Any:
    await conn.send_command(*args)
    return await conn.read_response()


async def server_identity(conn: Connection) -> str:
    """``run_id/master_replid`` of the server at the other end of ``conn``."""
    server = await _ask(conn, "INFO", "server")
    replication = await _ask(conn, "INFO", "replication")
    run_id = _info_field(server, b"run_id")
    replid = _info_field(replication, b"master_replid")
    return f"{run_id.decode()}/{replid.decode()}"


async def served_shards(conn: Connection, shards: int, cluster: bool) -> list[int]:
    """The shards whose keys live on the server of ``conn``: all of them on one Redis; on a
    cluster node those whose slot it owns (none on a replica)."""
    if not cluster:
        return list(range(shards))
    nodes = await _ask(conn, "CLUSTER", "NODES")
    text = nodes.decode() if isinstance(nodes, bytes) else str(nodes)
    return shards_in(own_slot_ranges(text), shards)


async def check_identity(
    conn: Connection, prefix: str, shards: int = 1, cluster: bool = False
) -> bool:
    """Start a new generation in each shard on this server that was started on another
    server (or none); True when this call started one."""
    identity = await server_identity(conn)
    served = await served_shards(conn, shards, cluster)
    if not served:
        # A cluster replica (redis-py asks one for the slot map): keep no such connection,
        # or after a failover promotes this node its pooled connection would carry data
        # commands without the check. Dropped once released; the next one is checked anew.
        conn.mark_for_reconnect()  # type: ignore[no-untyped-call]
    started = False
    for shard in served:
        base = tagged(prefix, shards, shard)
        keys = (owner_key(base), gen_key(base))
        found = await _ask(
            conn, "EVAL", IDENTITY, len(keys), *keys, identity, new_token(), VERSION_TTL_MS
        )
        started = started or bool(found)
    return started


def identity_hook(prefix: str, shards: int = 1, cluster: bool = False) -> ConnectHook:
    """The check above as a connect hook (``topology``): run on every new connection of
    every mode, each cluster node included."""

    async def check(conn: Any) -> None:
        await check_identity(conn, prefix, shards, cluster)

    return check
