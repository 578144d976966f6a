"""Cache shards: hash tags that keep each lookup in one Redis Cluster slot and spread the keys.

A cluster runs a command or a script only if all its keys hash to one slot. So every logical
key belongs to a shard (``shard_of``), and every Redis key its lookup, store or invalidation
touches carries that shard's hash tag: a hit is one MGET on one node, every script touches one
slot. What several keys share (the generation, a namespace's version) exists once per shard;
invalidating a namespace writes each copy (``count`` of them, whatever the key space holds).

The tags are chosen so their slots are evenly spaced over the 16384 slots: whatever even split
of the slots a cluster uses, each primary holds its share of the shards, and no key every hit
reads (a global generation) sits on one node.
"""

from __future__ import annotations

import zlib
from functools import lru_cache

from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

#: Shards on a cluster (16: an even spread over up to ~8 primaries; each invalidation of a
#: namespace writes 16 copies, grouped per node). One Redis needs no spreading: 1.
CLUSTER_SHARDS = 16


@lru_cache(maxsize=8)
def shard_tags(count: int) -> tuple[str, ...]:
    """For shard i a tag (``s<i>.<n>``) whose slot lies in the i-th of ``count`` equal
    stretches of the slot range."""
    tags = []
    for i in range(count):
        low = i * REDIS_CLUSTER_HASH_SLOTS // count
        high = (i + 1) * REDIS_CLUSTER_HASH_SLOTS // count
        n = 0
        while not low <= key_slot(f"s{i}.{n}".encode()) < high:
            n += 1
        tags.append(f"s{i}.{n}")
    return tuple(tags)


def shard_slot(count: int, shard: int) -> int:
    return key_slot(shard_tags(count)[shard].encode())


def shard_of(key: str, count: int) -> int:
    """The shard a logical key's value and versions live in."""
    return zlib.crc32(key.encode()) % count if count > 1 else 0


def tagged(prefix: str, count: int, shard: int) -> str:
    """``prefix:{tag}``: the start of every Redis key of ``shard`` (just ``prefix`` when
    there is one shard: one Redis has no slots to keep together)."""
    if count == 1:
        return prefix
    return f"{prefix}:{{{shard_tags(count)[shard]}}}"


def own_slot_ranges(cluster_nodes: str) -> list[tuple[int, int]]:
    """The slot ranges of the node that answered ``CLUSTER NODES`` (its ``myself`` line);
    slots being imported or migrated (``[...]``) are not counted as its own."""
    for line in cluster_nodes.splitlines():
        fields = line.split()
        if len(fields) >= 8 and "myself" in fields[2].split(","):
            ranges = []
            for item in fields[8:]:
                if item.startswith("["):
                    continue
                low, _, high = item.partition("-")
                ranges.append((int(low), int(high or low)))
            return ranges
    return []


def shards_in(ranges: list[tuple[int, int]], count: int) -> list[int]:
    """The shards whose slot lies in ``ranges`` (what one cluster node serves)."""
    return [
        shard
        for shard in range(count)
        if any(low <= shard_slot(count, shard) <= high for low, high in ranges)
    ]


def group_by_slot(keys: tuple[str, ...] | list[str]) -> list[list[int]]:
    """The indexes of ``keys``, grouped by hash slot (in first-seen order)."""
    groups: dict[int, list[int]] = {}
    for i, key in enumerate(keys):
        groups.setdefault(key_slot(key.encode()), []).append(i)
    return list(groups.values())
