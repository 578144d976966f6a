"""The identity check per shard: one Redis checks its one shard; a cluster node the shards
whose slot it owns, and a replica none (and its connection is not kept). A hand-written
connection stands in for Redis."""

from __future__ import annotations

from typing import Any

from slotwise.cache import identity
from slotwise.cache.shards import CLUSTER_SHARDS, shard_slot

INFO_SERVER = b"# Server\r\nrun_id:abc\r\n"
INFO_REPLICATION = b"# Replication\r\nrole:master\r\nmaster_replid:def\r\n"


class FakeConnection:
    """Answers INFO, CLUSTER NODES and EVAL; records every EVAL's keys."""

    def __init__(self, nodes: str = "") -> None:
        self.nodes = nodes
        self.evals: list[tuple[str, ...]] = []
        self.reconnect = False
        self._reply: Any = None

    async def send_command(self, *args: Any) -> None:
        name = " ".join(str(a) for a in args[:2]).upper()
        if name == "INFO SERVER":
            self._reply = INFO_SERVER
        elif name == "INFO REPLICATION":
            self._reply = INFO_REPLICATION
        elif name == "CLUSTER NODES":
            self._reply = self.nodes.encode()
        else:
            assert args[0] == "EVAL"
            self.evals.append(tuple(args[3 : 3 + int(args[2])]))
            self._reply = 1

    async def read_response(self) -> Any:
        return self._reply

    def mark_for_reconnect(self) -> None:
        self.reconnect = True


async def test_one_redis_checks_its_one_shard() -> None:
    conn = FakeConnection()
    assert await identity.check_identity(conn, "p")  # type: ignore[arg-type]
    assert conn.evals == [("p:owner", "p:gen")]
    assert not conn.reconnect


async def test_a_cluster_primary_checks_the_shards_it_owns() -> None:
    conn = FakeConnection("aa 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460\n")
    await identity.identity_hook("p", CLUSTER_SHARDS, cluster=True)(conn)  # type: ignore[arg-type]
    owned = [s for s in range(CLUSTER_SHARDS) if shard_slot(CLUSTER_SHARDS, s) <= 5460]
    assert len(conn.evals) == len(owned) >= 5
    for keys in conn.evals:
        assert keys[0].endswith(":owner") and keys[1].endswith(":gen")
        assert keys[0].rsplit(":", 1)[0] == keys[1].rsplit(":", 1)[0]  # one shard, one slot
    assert not conn.reconnect


async def test_a_cluster_replica_checks_nothing_and_is_not_kept() -> None:
    conn = FakeConnection("bb 127.0.0.1:7003@17003 myself,slave aa 0 0 1 connected\n")
    await identity.identity_hook("p", CLUSTER_SHARDS, cluster=True)(conn)  # type: ignore[arg-type]
    assert conn.evals == []
    assert conn.reconnect
