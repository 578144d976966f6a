"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, Integer, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from slotwise.domain.audit import ActorRole
from slotwise.domain.status import SlotStatus

# 64-bit ids everywhere; SQLite only autoincrements an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    SQLite has no timezone type and hands back naive values; PostgreSQL hands back aware ones.
    This stores UTC and always returns an aware UTC datetime, so a value read from either
    backend (or rebuilt from the cache) compares equal.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: a timezone offset is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class StatusType(TypeDecorator[SlotStatus]):
    """A slot status stored as its text and read back as ``SlotStatus`` (not a bare str)."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: SlotStatus | str | None, dialect: Dialect) -> str | None:
        return value.value if isinstance(value, SlotStatus) else value

    def process_result_value(self, value: str | None, dialect: Dialect) -> SlotStatus | None:
        return None if value is None else SlotStatus(value)


class ActorRoleType(TypeDecorator[ActorRole]):
    """An audit event's actor role stored as its text and read back as ``ActorRole``."""

    impl = String(16)
    cache_ok = True

    def process_bind_param(self, value: ActorRole | str | None, dialect: Dialect) -> str | None:
        return value.value if isinstance(value, ActorRole) else value

    def process_result_value(self, value: str | None, dialect: Dialect) -> ActorRole | None:
        return None if value is None else ActorRole(value)
