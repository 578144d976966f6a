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

from slotwise.cache.layout import VERSION_TTL_MS, gen_keys, new_token, owner_key
from slotwise.cache.scripts import IDENTITY


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


async def check_identity(conn: Connection, prefix: str) -> bool:
    """Start a new generation if the server is not the one the current one was started on;
    True when this call started it."""
    identity = await server_identity(conn)
    keys = (owner_key(prefix), *gen_keys(prefix))
    started = await _ask(
        conn, "EVAL", IDENTITY, len(keys), *keys, identity, new_token(), VERSION_TTL_MS
    )
    return bool(started)


class IdentityCheckedConnection(Connection):
    """A TCP connection that checks the server's identity once it is set up (see above)."""

    def __init__(self, *, cache_prefix: str = "slotwise", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cache_prefix = cache_prefix

    async def on_connect_check_health(self, check_health: bool = True) -> None:
        await super().on_connect_check_health(check_health=check_health)
        await check_identity(self, self.cache_prefix)
