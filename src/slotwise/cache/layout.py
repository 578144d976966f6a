"""Where a logical key's value, versions and lock live in Redis, and what a miss carries.

Every logical key (``"slots:free:recruiter:3:after:..."``) is covered by *version keys*: the
generation (``gen``), one per whole-segment prefix (``ns:slots``, ``ns:slots:free``, ...) and
one for the key itself (``kv:<key>``). A
version is a random token, never a counter: it cannot repeat after a key is lost or Redis
goes back in time, and a missing version is a miss, never a default. A value is stored with
the token vector it was computed under and is valid only while every version still equals it.

A version may instead hold a *write intent* (``"!<writer>@<deadline_ms>,..."``: writers about
to commit a change under it, each until its own deadline, ``INTENT_MS`` after it marked).
Lookups miss and stores are refused while it lives.

Value keys carry the schema tag, so a deploy that changes a cached shape never reads payloads
of the old shape.

On a Redis Cluster the key space is cut into shards (``shards``): a logical key's value,
versions, lock and budget all carry its shard's hash tag (one slot: a hit is one MGET on one
node, every script runs in one slot), and every version exists once per shard, so changing
one writes each shard's copy and no single key is read by every hit. One Redis has one shard
and the plain prefix.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import NamedTuple

from slotwise.cache import codec as cache_codec
from slotwise.cache.keys import CacheTTL, check_key, check_pattern, is_pattern, namespaces
from slotwise.cache.shards import shard_of, tagged

#: Bump when the meaning of cached payloads changes in a way the fingerprint cannot see.
SCHEMA_VERSION = 3

#: Version keys outlive every value stored under them (a lost version is a miss anyway).
VERSION_TTL_MS = (int(CacheTTL.VERY_LONG) + 3600) * 1000
LOCK_MS = 2000
#: How long a write intent makes its keys miss: longer than any COMMIT takes (the bound on
#: the cache bypass a writer that dies between COMMIT and invalidation costs).
INTENT_MS = 5000
#: What an intent version starts with (tokens are hex, so never that).
INTENT = b"!"


class Miss(NamedTuple):
    """A lookup that found no usable value. ``token`` is None when nothing may be stored;
    ``guard`` holds the guard versions seen (see ``lookup``)."""

    token: str | None
    locked: bool = False
    lock_id: str = ""
    guard: str = ""

    @property
    def flight(self) -> str:
        """What callers must have seen alike to share one load."""
        return f"{self.token}/{self.guard}"


UNAVAILABLE = Miss(None)
#: A token that means "whatever the versions are now" (a plain ``set``, no read before it).
CURRENT = Miss("*")


def new_token() -> str:
    """A version nobody has seen: 96 random bits, hex."""
    return secrets.token_hex(12)


def schema_tag() -> str:
    """``SCHEMA_VERSION`` and the fingerprint of the registered cached shapes."""
    return f"{SCHEMA_VERSION}.{cache_codec.shape_fingerprint()}"


class KeySet(NamedTuple):
    value: str
    versions: tuple[str, ...]
    #: What a hit reads in one MGET: the value, then the versions.
    read: tuple[str, ...]
    lock: str
    budget: str | None
    cap: int
    #: How each Redis key of this shard starts (for its guards and deps).
    base: str


def key_set(prefix: str, key: str, shards: int = 1) -> KeySet:
    """The value key, the version keys (generation first), the lock, the entry budget: all in
    the key's shard (one cluster slot)."""
    return _key_set(prefix, schema_tag(), key, shards)


def shard_base(prefix: str, key: str, shards: int) -> str:
    """``prefix`` and the hash tag of ``key``'s shard: how each of its Redis keys starts."""
    return tagged(prefix, shards, shard_of(key, shards))


@lru_cache(maxsize=8192)
def _key_set(prefix: str, tag: str, key: str, shards: int) -> KeySet:
    spaces = namespaces(key)
    base = shard_base(prefix, key, shards)
    budget, cap = _budget(base, spaces)
    value = f"{base}:c{tag}:{key}"
    versions = (
        gen_key(base),
        *(f"{base}:ns:{ns}" for ns in spaces),
        f"{base}:kv:{key}",
    )
    return KeySet(value, versions, (value, *versions), f"{base}:lock:{key}", budget, cap, base)


def bases(prefix: str, shards: int) -> tuple[str, ...]:
    """The start of every shard's keys."""
    return tuple(tagged(prefix, shards, shard) for shard in range(shards))


def gen_key(base: str) -> str:
    return f"{base}:gen"


def gen_keys(prefix: str, shards: int = 1) -> tuple[str, ...]:
    return tuple(gen_key(base) for base in bases(prefix, shards))


def owner_key(base: str) -> str:
    """The Redis identity under which the shard's current generation was started."""
    return f"{base}:owner"


def probe_keys(prefix: str, shards: int = 1) -> tuple[str, ...]:
    """One per shard: a probe that reaches every node of a cluster."""
    return tuple(f"{base}:probe" for base in bases(prefix, shards))


@lru_cache(maxsize=256)
def guard_keys(base: str, guards: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{base}:ns:{guard}" for guard in guards)


def dep_keys(base: str, deps: Iterable[str]) -> tuple[str, ...]:
    """The copies, in the value's shard, of each dep key's own version."""
    return tuple(f"{base}:kv:{check_key(dep)}" for dep in sorted(set(deps)))


def version_keys(prefix: str, target: str, shards: int = 1) -> tuple[str, ...]:
    """The version keys to change for a key, a ``"ns:*"`` pattern or ``"*"``: one copy in
    every shard (a key's own version is read by its shard and, as a dep, by any shard)."""
    if target == "*":
        return gen_keys(prefix, shards)
    kind = f"ns:{check_pattern(target)[:-2]}" if is_pattern(target) else f"kv:{check_key(target)}"
    return tuple(f"{base}:{kind}" for base in bases(prefix, shards))


# --- entry caps: no client can fill Redis with distinct keys of one namespace ---------------

_CAPS: dict[str, int] = {}


def register_entry_caps(caps: Mapping[str, int]) -> None:
    """At most ``cap`` entries stored per namespace (``"slots:list"``) per TTL window: keys
    whose shape takes arbitrary client input (time windows, offsets) stay bounded."""
    _CAPS.update(caps)
    _key_set.cache_clear()


def _budget(prefix: str, spaces: list[str]) -> tuple[str | None, int]:
    for ns in reversed(spaces):
        cap = _CAPS.get(ns)
        if cap is not None:
            return f"{prefix}:budget:{ns}", cap
    return None, 0
