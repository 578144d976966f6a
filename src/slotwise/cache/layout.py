"""Where a logical key's value, versions and lock live in Redis, and what a miss carries.

Every logical key (``"slots:free:recruiter:3:after:..."``) is covered by *version keys*: one
generation shard (the key's ``gen:<n>``, all shards change together), one per whole-segment
prefix (``ns:slots``, ``ns:slots:free``, ...) and one for the key itself (``kv:<key>``). A
version is a random token, never a counter: it cannot repeat after a key is lost or Redis
goes back in time, and a missing version is a miss, never a default. A value is stored with
the token vector it was computed under and is valid only while every version still equals it.

A version may instead hold a *write intent* (``"!<n>"``: n writers are about to commit a
change under it). Lookups miss and stores are refused while it lives (``INTENT_MS``).

Value keys carry the schema tag, so a deploy that changes a cached shape never reads payloads
of the old shape. The generation is sharded (``GEN_SHARDS``) so no single key is read by every
hit (one hot slot in a cluster); a hit reads only keys named after its own key.
"""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import NamedTuple

from slotwise.cache import codec as cache_codec
from slotwise.cache.keys import CacheTTL, check_key, check_pattern, is_pattern, namespaces

#: Bump when the meaning of cached payloads changes in a way the fingerprint cannot see.
SCHEMA_VERSION = 3

#: Version keys outlive every value stored under them (a lost version is a miss anyway).
VERSION_TTL_MS = (int(CacheTTL.VERY_LONG) + 3600) * 1000
LOCK_MS = 2000
#: How long a write intent makes its keys miss: longer than any COMMIT takes (the bound on
#: the cache bypass a writer that dies between COMMIT and invalidation costs).
INTENT_MS = 5000
#: Copies of the generation; a key reads the one its hash picks.
GEN_SHARDS = 8
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


def key_set(prefix: str, key: str) -> KeySet:
    """The value key, the version keys (generation shard first), the lock, the entry budget."""
    return _key_set(prefix, schema_tag(), key)


@lru_cache(maxsize=8192)
def _key_set(prefix: str, tag: str, key: str) -> KeySet:
    spaces = namespaces(key)
    budget, cap = _budget(prefix, spaces)
    value = f"{prefix}:c{tag}:{key}"
    versions = (
        gen_key(prefix, zlib.crc32(key.encode()) % GEN_SHARDS),
        *(f"{prefix}:ns:{ns}" for ns in spaces),
        f"{prefix}:kv:{key}",
    )
    return KeySet(
        value,
        versions,
        (value, *versions),
        f"{prefix}:lock:{key}",
        budget,
        cap,
    )


def gen_key(prefix: str, shard: int) -> str:
    return f"{prefix}:gen:{shard}"


def gen_keys(prefix: str) -> tuple[str, ...]:
    return tuple(gen_key(prefix, shard) for shard in range(GEN_SHARDS))


def owner_key(prefix: str) -> str:
    """The Redis identity under which the current generation was started."""
    return f"{prefix}:owner"


def probe_key(prefix: str) -> str:
    return f"{prefix}:probe"


@lru_cache(maxsize=64)
def guard_keys(prefix: str, guards: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{prefix}:ns:{guard}" for guard in guards)


def dep_keys(prefix: str, deps: Iterable[str]) -> tuple[str, ...]:
    return tuple(f"{prefix}:kv:{check_key(dep)}" for dep in sorted(set(deps)))


def version_keys(prefix: str, target: str) -> tuple[str, ...]:
    """The version keys to change for a key, a ``"ns:*"`` pattern or ``"*"`` (every shard)."""
    if target == "*":
        return gen_keys(prefix)
    if is_pattern(target):
        return (f"{prefix}:ns:{check_pattern(target)[:-2]}",)
    return (f"{prefix}:kv:{check_key(target)}",)


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
