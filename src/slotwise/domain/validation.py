"""Field checks shared by the entities: each appends an ``Invalid`` instead of raising, so an
entity reports all of its problems at once and the data layer decides what to do with them."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class Invalid:
    """One problem with an entity's data; the data layer turns it into a ValidationError."""

    field: str
    message: str
    value: Any = None


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_valid_timezone(name: object) -> bool:
    return isinstance(name, str) and name in _timezones()


def is_valid_meeting_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(parts.netloc) and " " not in url


def check_name(problems: list[Invalid], field: str, value: object, max_len: int) -> None:
    if not isinstance(value, str) or not value.strip():
        problems.append(Invalid(field, "must not be empty", value))
    elif len(value) > max_len:
        problems.append(Invalid(field, f"must be at most {max_len} characters", value))


def check_timezone(problems: list[Invalid], field: str, value: object) -> None:
    if not is_valid_timezone(value):
        problems.append(Invalid(field, "must be an IANA timezone name like Europe/Moscow", value))


def check_aware(problems: list[Invalid], field: str, value: object) -> None:
    if not isinstance(value, datetime):
        problems.append(Invalid(field, "must be a datetime", value))
    elif value.tzinfo is None or value.utcoffset() is None:
        problems.append(Invalid(field, "must include a timezone offset (naive datetime)", value))
