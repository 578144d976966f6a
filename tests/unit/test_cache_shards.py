"""Cache shards: a lookup's keys share one cluster slot, and the shards spread evenly."""

from __future__ import annotations

from collections import Counter

import pytest
from redis.crc import key_slot

from slotwise.cache import shards

# `redis-cli --cluster create` with 3 primaries splits the slots like this
THREE = [(0, 5460), (5461, 10922), (10923, 16383)]


@pytest.mark.parametrize("count", [1, 3, 8, 16, 64])
def test_tags_are_evenly_spaced_over_the_slots(count: int) -> None:
    slots = [shards.shard_slot(count, i) for i in range(count)]
    assert len(set(slots)) == count
    width = 16384 // count
    for i, slot in enumerate(slots):
        assert i * width <= slot < (i + 1) * width + count


def test_every_primary_of_an_even_split_serves_its_share() -> None:
    per_node = Counter(
        node
        for shard in range(shards.CLUSTER_SHARDS)
        for node, (low, high) in enumerate(THREE)
        if low <= shards.shard_slot(shards.CLUSTER_SHARDS, shard) <= high
    )
    assert sum(per_node.values()) == shards.CLUSTER_SHARDS
    assert min(per_node.values()) >= 5  # 16 shards over 3 nodes: 5, 5, 6


def test_keys_of_one_shard_hash_to_its_slot() -> None:
    count = shards.CLUSTER_SHARDS
    for shard in range(count):
        start = shards.tagged("slotwise", count, shard)
        slots = {key_slot(f"{start}:{kind}".encode()) for kind in ("c3.x:a:1", "gen", "ns:a")}
        assert slots == {shards.shard_slot(count, shard)}


def test_logical_keys_spread_over_the_shards() -> None:
    found = Counter(shards.shard_of(f"recruiters:{i}", 16) for i in range(1600))
    assert set(found) == set(range(16))
    assert min(found.values()) > 50
    assert shards.shard_of("anything", 1) == 0


NODES = """\
07c3 127.0.0.1:7001@17001 master - 0 1 2 connected 5461-10922
67ed 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460 12000 [5461->-07c3]
e7d1 127.0.0.1:7003@17003 slave 67ed 0 1 4 connected
"""


def test_a_node_reads_its_own_slots_from_cluster_nodes() -> None:
    assert shards.own_slot_ranges(NODES) == [(0, 5460), (12000, 12000)]
    assert (
        shards.own_slot_ranges("e7d1 127.0.0.1:7003@17003 myself,slave 67ed 0 1 4 connected") == []
    )
    served = shards.shards_in([(0, 5460)], 16)
    assert served == [i for i in range(16) if shards.shard_slot(16, i) <= 5460]
    assert shards.shards_in([], 16) == []


def test_group_by_slot_keeps_first_seen_order() -> None:
    keys = [f"{shards.tagged('p', 16, s)}:kv:x" for s in (3, 1, 3, 2, 1)]
    assert shards.group_by_slot(keys) == [[0, 2], [1, 4], [3]]


def test_one_shard_keeps_the_plain_prefix() -> None:
    assert shards.tagged("slotwise", 1, 0) == "slotwise"
    assert shards.tagged("slotwise", 16, 0).startswith("slotwise:{s0.")
