"""Cache key names, escaped so that no value can change a key's shape.

A logical key is ``segment:segment:...``. The segments written here are fixed words; every
value that goes into a key passes through :func:`escape`, which percent-encodes ``:``, ``*``
and everything else outside a small safe set. So a crafted value (``"5:*"``, ``"*"``) stays one
segment and can neither read another key nor widen an invalidation pattern.

A pattern is a key prefix that ends in ``:*`` (``"recruiters:*"``); ``"*"`` alone means
everything. Patterns cost O(1) to invalidate (see ``slotwise.cache.client``), so a pattern must be
a whole-segment prefix: ``"recruit*"`` is refused.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

#: Characters kept as they are in a key segment; everything else is percent-encoded.
_SAFE = "-_."
#: Escaped values longer than this are replaced by a hash (bounded key length).
_MAX_SEGMENT = 120
#: What a hashed segment starts with: a character ``quote`` always encodes, so no escaped
#: value can spell a hashed one (escaping stays injective).
HASHED_MARK = "#"
#: The stand-in for ``None`` (``~`` itself is escaped, so no string can produce it).
NONE_SEGMENT = "~"


class CacheTTL(enum.IntEnum):
    """Standard lifetimes in seconds."""

    SHORT = 300
    MEDIUM = 1800
    LONG = 7200
    VERY_LONG = 86400


def escape(value: object) -> str:
    """``value`` as one key segment: no ``:``, no ``*``, bounded length, one spelling per value.

    Datetimes are normalised to UTC (09:00+02:00 and 07:00Z are the same instant, one key);
    naive datetimes are refused because their instant is unknown.
    """
    if value is None:
        return NONE_SEGMENT
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | enum.Enum) and not isinstance(value, str):
        text = str(value.value if isinstance(value, enum.Enum) else value)
    elif isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("a naive datetime cannot be part of a cache key")
        text = value.astimezone(UTC).isoformat()
    else:
        text = str(value)
    # quote() never encodes "~"; it is ours (the None stand-in), so encode it by hand.
    escaped = quote(text, safe=_SAFE).replace("~", "%7E")
    if len(escaped) > _MAX_SEGMENT:
        return HASHED_MARK + hashlib.sha256(escaped.encode()).hexdigest()
    return escaped


def is_pattern(key: str) -> bool:
    return key.endswith("*")


def check_pattern(pattern: str) -> str:
    """``pattern`` if it is ``"*"`` or ``"<segments>:*"``; ValueError otherwise."""
    if pattern == "*":
        return pattern
    body = pattern[:-2] if pattern.endswith(":*") else None
    if not body or "*" in body or body.startswith(":") or body.endswith(":") or "::" in body:
        raise ValueError(
            f"cache pattern {pattern!r}: only whole-segment prefixes like 'recruiters:*' "
            "(or '*') can be invalidated in O(1)"
        )
    return pattern


def check_key(key: str) -> str:
    """``key`` if it can be a cache key (non-empty, no wildcard, no empty segment)."""
    if not key or "*" in key or key.startswith(":") or key.endswith(":") or "::" in key:
        raise ValueError(f"not a cache key: {key!r}")
    return key


def namespaces(key: str) -> list[str]:
    """Every whole-segment prefix of ``key``: the patterns that cover it.

    ``"slots:free:recruiter:3"`` -> ``["slots", "slots:free", "slots:free:recruiter"]``.
    """
    parts = key.split(":")
    return [":".join(parts[:i]) for i in range(1, len(parts))]


def covers(target: str, key: str) -> bool:
    """True when invalidating ``target`` (a key or a pattern) affects ``key``."""
    if target == "*":
        return True
    if target.endswith(":*"):
        return key.startswith(target[:-1])
    return target == key


#: Guard buckets per ``ValueDeps``: a write of one embedded entity voids the loads in flight
#: whose deps fall in its bucket (1 in ``GUARD_BUCKETS``), not every load of the kind.
GUARD_BUCKETS = 32


def guard_bucket(guard: str, dep_key: str) -> str:
    """The guard namespace that writes of ``dep_key``'s entity bump (``"dep:recruiter:g7"``):
    a stable hash, so every process and every version agree on it."""
    return f"{guard}:g{zlib.crc32(dep_key.encode()) % GUARD_BUCKETS}"


@functools.lru_cache(maxsize=64)
def guard_buckets(guard: str) -> tuple[str, ...]:
    """Every bucket of ``guard``, in bucket order."""
    return tuple(f"{guard}:g{n}" for n in range(GUARD_BUCKETS))


@dataclass(frozen=True, slots=True)
class ValueDeps:
    """What a cached value depends on beyond its key, known only once it is loaded (a slot
    embeds its recruiter, found by the slot's ``recruiter_id``).

    ``keys(value)`` names one dep key per entity embedded (``"dep:recruiter:5"``); the store
    records their versions and a hit checks them, so invalidating ``"dep:recruiter:5"`` drops
    exactly the entries that embed recruiter 5. A write of recruiter 5 also bumps its guard
    bucket (``guard_bucket(guard, "dep:recruiter:5")``), read on a miss before the load and
    checked at store time for the buckets of the deps loaded: a load that ran while one of
    them committed is not stored (it may embed the old state); other loads are."""

    guard: str
    keys: Callable[[Any], Iterable[str]]

    @property
    def guards(self) -> tuple[str, ...]:
        """The guard namespaces a miss reads: every bucket."""
        return guard_buckets(self.guard)
