"""Where a logical key's value, versions and lock live in Redis, and what a miss carries.

Every logical key (``"slots:free:recruiter:3:after:..."``) is covered by version counters: a
global generation, one counter per whole-segment prefix (``slots``, ``slots:free``, ...), and
one for the key itself; value keys carry the schema tag, so a deploy that changes a cached
shape never reads payloads of the old shape.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from slotwise.cache import codec as cache_codec
from slotwise.cache.keys import CacheTTL, check_key, check_pattern, is_pattern, namespaces

#: Bump when the meaning of cached payloads changes in a way the fingerprint cannot see.
SCHEMA_VERSION = 2

#: Version counters outlive every value stored under them (see ``VERSION_TTL_MS``).
VERSION_TTL_MS = (int(CacheTTL.VERY_LONG) + 3600) * 1000
LOCK_MS = 2000


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


def schema_tag() -> str:
    """``SCHEMA_VERSION`` and the fingerprint of the registered cached shapes."""
    return f"{SCHEMA_VERSION}.{cache_codec.shape_fingerprint()}"


def key_set(prefix: str, key: str) -> tuple[str, ...]:
    """value, gen, the prefix versions, the key's own version, lock: as the scripts want them."""
    return _key_set(prefix, schema_tag(), key)


@lru_cache(maxsize=8192)
def _key_set(prefix: str, tag: str, key: str) -> tuple[str, ...]:
    return (
        f"{prefix}:c{tag}:{key}",
        f"{prefix}:gen",
        *(f"{prefix}:ns:{ns}" for ns in namespaces(key)),
        f"{prefix}:kv:{key}",
        f"{prefix}:lock:{key}",
    )


@lru_cache(maxsize=64)
def guard_keys(prefix: str, guards: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{prefix}:ns:{guard}" for guard in guards)


def dep_keys(prefix: str, deps: Iterable[str]) -> tuple[str, ...]:
    return tuple(f"{prefix}:kv:{check_key(dep)}" for dep in sorted(set(deps)))


def version_key(prefix: str, target: str) -> str | None:
    """The counter to INCR for a key or pattern; None for ``"*"`` (a new generation)."""
    if target == "*":
        return None
    if is_pattern(target):
        return f"{prefix}:ns:{check_pattern(target)[:-2]}"
    return f"{prefix}:kv:{check_key(target)}"


def new_generation() -> str:
    return secrets.token_hex(6)
