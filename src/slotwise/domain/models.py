"""The domain: cities, recruiters, slots, candidates, templates, and the slot life cycle.

Pure in the sense that matters: no I/O and nothing of ours is imported. The entities are
mapped with SQLAlchemy's declarative mapping, so constraints the business depends on (no
overlapping slots, one holder per slot, one active slot per candidate and recruiter, unique
names) live in the schema where concurrent writers cannot race past them.

Relationships are ``lazy="raise"``: an attribute that was not loaded explicitly fails loudly
instead of doing hidden I/O (which async SQLAlchemy cannot do anyway).
"""

from __future__ import annotations

import enum
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, ClassVar
from urllib.parse import urlsplit

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    func,
    literal_column,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# --- schema plumbing --------------------------------------------------------------------------

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# 64-bit ids everywhere; SQLite only autoincrements an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


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


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    def __init__(self, **kwargs: Any) -> None:
        """The declarative constructor, plus the columns' scalar defaults set at once.

        SQLAlchemy applies ``default=`` only at INSERT; validation and transitions run before
        that, so a new ``Slot`` must already be ``free`` and a new ``Recruiter`` in ``UTC``.
        """
        cls = type(self)
        for key, value in _scalar_defaults(cls).items():
            kwargs.setdefault(key, value)
        for key, value in kwargs.items():
            if not hasattr(cls, key):
                raise TypeError(f"{key!r} is an invalid keyword argument for {cls.__name__}")
            setattr(self, key, value)


_DEFAULTS: dict[type[Base], dict[str, Any]] = {}


def _scalar_defaults(cls: type[Base]) -> dict[str, Any]:
    """Attribute -> scalar ``default=`` of the class's columns (not callables, not versions)."""
    found = _DEFAULTS.get(cls)
    if found is None:
        mapper = sa_inspect(cls)
        found = {}
        for prop in mapper.column_attrs:
            column = prop.columns[0]
            default = getattr(column, "default", None)
            if default is None or not default.is_scalar or column is mapper.version_id_col:
                continue
            found[prop.key] = default.arg
        _DEFAULTS[cls] = found
    return found


# --- validation (pure) -----------------------------------------------------------------------


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


def _check_name(problems: list[Invalid], field: str, value: object, max_len: int) -> None:
    if not isinstance(value, str) or not value.strip():
        problems.append(Invalid(field, "must not be empty", value))
    elif len(value) > max_len:
        problems.append(Invalid(field, f"must be at most {max_len} characters", value))


def _check_timezone(problems: list[Invalid], field: str, value: object) -> None:
    if not is_valid_timezone(value):
        problems.append(Invalid(field, "must be an IANA timezone name like Europe/Moscow", value))


def _check_aware(problems: list[Invalid], field: str, value: object) -> None:
    if not isinstance(value, datetime):
        problems.append(Invalid(field, "must be a datetime", value))
    elif value.tzinfo is None or value.utcoffset() is None:
        problems.append(Invalid(field, "must include a timezone offset (naive datetime)", value))


def is_valid_meeting_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(parts.netloc) and " " not in url


# --- the slot life cycle -------------------------------------------------------------------


class SlotStatus(enum.StrEnum):
    FREE = "free"
    PENDING = "pending"
    BOOKED = "booked"
    CONFIRMED_BY_CANDIDATE = "confirmed_by_candidate"
    CANCELED = "canceled"


ACTIVE_STATUSES: frozenset[SlotStatus] = frozenset(
    {SlotStatus.PENDING, SlotStatus.BOOKED, SlotStatus.CONFIRMED_BY_CANDIDATE}
)


class StatusType(TypeDecorator[SlotStatus]):
    """A slot status stored as its text and read back as ``SlotStatus`` (not a bare str)."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: SlotStatus | str | None, dialect: Dialect) -> str | None:
        return value.value if isinstance(value, SlotStatus) else value

    def process_result_value(self, value: str | None, dialect: Dialect) -> SlotStatus | None:
        return None if value is None else SlotStatus(value)


# action -> (statuses it may start from, status it ends in). Nothing else is allowed.
TRANSITIONS: dict[str, tuple[frozenset[SlotStatus], SlotStatus]] = {
    "book": (frozenset({SlotStatus.FREE}), SlotStatus.PENDING),
    "approve": (frozenset({SlotStatus.PENDING}), SlotStatus.BOOKED),
    "confirm": (frozenset({SlotStatus.BOOKED}), SlotStatus.CONFIRMED_BY_CANDIDATE),
    "release": (ACTIVE_STATUSES, SlotStatus.FREE),
    "cancel": (frozenset({SlotStatus.FREE, *ACTIVE_STATUSES}), SlotStatus.CANCELED),
}


def next_status(current: SlotStatus | str, action: str) -> SlotStatus | None:
    """The status ``action`` leads to from ``current``, or None when it is not allowed."""
    allowed = TRANSITIONS.get(action)
    if allowed is None:
        return None
    sources, target = allowed
    return target if SlotStatus(current) in sources else None


class TransitionRejected(Exception):
    """The slot's status does not allow this action."""

    def __init__(self, action: str, from_status: str) -> None:
        super().__init__(f"cannot {action} a slot that is {from_status}")
        self.action = action
        self.from_status = from_status


class NotHolder(Exception):
    """A candidate tried to act on a slot held by someone else (or by nobody)."""


# --- entities ------------------------------------------------------------------------------

recruiter_cities = Table(
    "recruiter_cities",
    Base.metadata,
    Column(
        "recruiter_id",
        BigId,
        ForeignKey("recruiters.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("city_id", BigId, ForeignKey("cities.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_recruiter_cities_city_id", "city_id"),
)


class City(Base):
    __tablename__ = "cities"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sql_text("true"))
    responsible_recruiter_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("recruiters.id", ondelete="SET NULL", use_alter=True), nullable=True
    )

    # The reverse sides are read-only views: writes go through Recruiter.cities, Slot.recruiter_id,
    # Template.city_id. A writable backref would mark a loaded City dirty whenever a new
    # Recruiter names it, and the repository's SAVEPOINT flush would then start outside the
    # savepoint ("Object of type <Recruiter> not in session").
    recruiters: Mapped[list[Recruiter]] = relationship(
        secondary=recruiter_cities, back_populates="cities", lazy="raise", viewonly=True
    )
    templates: Mapped[list[Template]] = relationship(
        back_populates="city", lazy="raise", viewonly=True
    )

    __table_args__ = (
        CheckConstraint("length(trim(name)) > 0", name="name_not_empty"),
        Index("ix_cities_active", "active"),
    )

    def problems(self) -> list[Invalid]:
        found: list[Invalid] = []
        _check_name(found, "name", self.name, 120)
        _check_timezone(found, "timezone", self.timezone)
        return found

    def __repr__(self) -> str:
        return f"City(id={self.id!r}, name={self.name!r})"


class Recruiter(Base):
    __tablename__ = "recruiters"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger, unique=True, nullable=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sql_text("true"))
    meeting_url: Mapped[str | None] = mapped_column(String(500), nullable=True)

    cities: Mapped[list[City]] = relationship(
        secondary=recruiter_cities,
        back_populates="recruiters",
        lazy="raise",
        passive_deletes=True,
    )
    slots: Mapped[list[Slot]] = relationship(
        back_populates="recruiter", lazy="raise", viewonly=True
    )

    __table_args__ = (
        CheckConstraint("length(trim(name)) > 0", name="name_not_empty"),
        Index("ix_recruiters_active", "active"),
    )

    def problems(self) -> list[Invalid]:
        found: list[Invalid] = []
        _check_name(found, "name", self.name, 100)
        _check_timezone(found, "timezone", self.timezone)
        if self.meeting_url is not None and not is_valid_meeting_url(self.meeting_url):
            found.append(Invalid("meeting_url", "must be an http(s) URL", self.meeting_url))
        return found

    def __repr__(self) -> str:
        return f"Recruiter(id={self.id!r}, name={self.name!r})"


_ACTIVE_SQL = "status IN ('pending', 'booked', 'confirmed_by_candidate')"


class Slot(Base):
    __tablename__ = "slots"

    MIN_DURATION: ClassVar[int] = 10
    MAX_DURATION: ClassVar[int] = 480

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    recruiter_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("recruiters.id", ondelete="CASCADE")
    )
    city_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("cities.id", ondelete="SET NULL"), nullable=True
    )
    start_utc: Mapped[datetime] = mapped_column(UTCDateTime())
    # Derived from start_utc + duration_min (kept in step by a mapper event); stored so that
    # PostgreSQL can enforce "no overlap" with an exclusion constraint on a plain range.
    end_utc: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_min: Mapped[int] = mapped_column(Integer, default=60)
    status: Mapped[SlotStatus] = mapped_column(
        StatusType(), default=SlotStatus.FREE, server_default=SlotStatus.FREE.value
    )
    candidate_telegram_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    candidate_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    candidate_timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Optimistic concurrency: an UPDATE whose version moved underneath it matches no row.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=sql_text("1"))

    recruiter: Mapped[Recruiter] = relationship(back_populates="slots", lazy="raise")
    city: Mapped[City | None] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}

    __table_args__ = (
        CheckConstraint("duration_min BETWEEN 10 AND 480", name="duration_range"),
        CheckConstraint(
            "status IN ('free', 'pending', 'booked', 'confirmed_by_candidate', 'canceled')",
            name="status_known",
        ),
        CheckConstraint("end_utc > start_utc", name="end_after_start"),
        CheckConstraint(
            f"NOT ({_ACTIVE_SQL}) OR candidate_telegram_id IS NOT NULL",
            name="active_has_candidate",
        ),
        CheckConstraint(
            "status <> 'free' OR candidate_telegram_id IS NULL", name="free_has_no_candidate"
        ),
        Index("ix_slots_recruiter_start", "recruiter_id", "start_utc"),
        Index("ix_slots_status_start", "status", "start_utc"),
        Index("ix_slots_city_start", "city_id", "start_utc"),
        Index("ix_slots_candidate_start", "candidate_telegram_id", "start_utc"),
        # The unfiltered list (GET /api/slots ordered by start_utc, id) and time-window filters.
        Index("ix_slots_start_id", "start_utc", "id"),
        # One active slot per candidate and recruiter, whoever races.
        Index(
            "uq_slots_active_candidate_recruiter",
            "recruiter_id",
            "candidate_telegram_id",
            unique=True,
            sqlite_where=sql_text(_ACTIVE_SQL),
            postgresql_where=sql_text(_ACTIVE_SQL),
        ),
        # A recruiter's non-canceled slots never overlap (PostgreSQL; SQLite uses triggers).
        ExcludeConstraint(
            (literal_column("recruiter_id"), "="),
            (func.tstzrange(literal_column("start_utc"), literal_column("end_utc")), "&&"),
            where=sql_text("status <> 'canceled'"),
            using="gist",
            name="ex_slots_no_overlap",
        ).ddl_if(dialect="postgresql"),
    )

    def problems(self) -> list[Invalid]:
        found: list[Invalid] = []
        _check_aware(found, "start_utc", self.start_utc)
        duration = self.duration_min
        if (
            not isinstance(duration, int)
            or isinstance(duration, bool)
            or not self.MIN_DURATION <= duration <= self.MAX_DURATION
        ):
            found.append(
                Invalid(
                    "duration_min",
                    f"must be between {self.MIN_DURATION} and {self.MAX_DURATION} minutes",
                    duration,
                )
            )
        if self.candidate_timezone is not None:
            _check_timezone(found, "candidate_timezone", self.candidate_timezone)
        if self.candidate_name is not None and len(self.candidate_name) > 100:
            found.append(Invalid("candidate_name", "must be at most 100 characters"))
        return found

    @property
    def is_active(self) -> bool:
        return SlotStatus(self.status) in ACTIVE_STATUSES

    def overlaps(self, other_start: datetime, other_end: datetime) -> bool:
        return self.start_utc < other_end and other_start < self.compute_end()

    def compute_end(self) -> datetime:
        return self.start_utc + timedelta(minutes=self.duration_min)

    # transitions --------------------------------------------------------------------------

    def _move(self, action: str) -> None:
        target = next_status(self.status, action)
        if target is None:
            raise TransitionRejected(action, SlotStatus(self.status).value)
        self.status = target

    def _require_holder(self, telegram_id: int) -> None:
        if self.candidate_telegram_id != telegram_id:
            raise NotHolder(f"slot {self.id} is not held by candidate {telegram_id}")

    def book(self, telegram_id: int, name: str, timezone_name: str | None = None) -> None:
        self._move("book")
        self.candidate_telegram_id = telegram_id
        self.candidate_name = name
        self.candidate_timezone = timezone_name

    def approve(self) -> None:
        self._move("approve")

    def confirm(self, telegram_id: int) -> None:
        if next_status(self.status, "confirm") is not None:
            self._require_holder(telegram_id)
        self._move("confirm")

    def release(self, telegram_id: int | None = None) -> None:
        """Free the slot; with a telegram_id, only its holder may do it."""
        if telegram_id is not None and next_status(self.status, "release") is not None:
            self._require_holder(telegram_id)
        self._move("release")
        self.candidate_telegram_id = None
        self.candidate_name = None
        self.candidate_timezone = None

    def cancel(self) -> None:
        self._move("cancel")

    def __repr__(self) -> str:
        return f"Slot(id={self.id!r}, start_utc={self.start_utc!r}, status={self.status!r})"


@event.listens_for(Slot, "before_insert")
@event.listens_for(Slot, "before_update")
def _sync_end(mapper: Any, connection: Any, target: Slot) -> None:
    target.end_utc = target.compute_end()


class User(Base):
    """A candidate, known by the Telegram id the bot sees."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str] = mapped_column(String(100))
    city_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("cities.id", ondelete="SET NULL"), nullable=True
    )
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def problems(self) -> list[Invalid]:
        found: list[Invalid] = []
        _check_name(found, "name", self.name, 100)
        if self.timezone is not None:
            _check_timezone(found, "timezone", self.timezone)
        return found

    def __repr__(self) -> str:
        return f"User(id={self.id!r}, telegram_id={self.telegram_id!r})"


Candidate = User


class Template(Base):
    """A message text by key; a city's own text wins over the global one (city_id NULL)."""

    __tablename__ = "templates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    city_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("cities.id", ondelete="CASCADE"), nullable=True
    )
    key: Mapped[str] = mapped_column(String(50))
    text: Mapped[str] = mapped_column(Text)

    city: Mapped[City | None] = relationship(back_populates="templates", lazy="raise")

    __table_args__ = (
        UniqueConstraint("city_id", "key", name="uq_templates_city_key"),
        # NULLs are distinct in a unique constraint; this keeps one global text per key.
        Index(
            "uq_templates_global_key",
            "key",
            unique=True,
            sqlite_where=sql_text("city_id IS NULL"),
            postgresql_where=sql_text("city_id IS NULL"),
        ),
        CheckConstraint("length(trim(key)) > 0", name="key_not_empty"),
    )

    def problems(self) -> list[Invalid]:
        found: list[Invalid] = []
        _check_name(found, "key", self.key, 50)
        if not isinstance(self.text, str):
            found.append(Invalid("text", "must be a string", self.text))
        return found

    def __repr__(self) -> str:
        return f"Template(id={self.id!r}, city_id={self.city_id!r}, key={self.key!r})"


# --- database-side rules that have no portable DDL -------------------------------------------

# SQLite serialises writers, so a trigger that looks for an overlapping slot is race-free there.
SQLITE_OVERLAP_TRIGGERS = (
    """
CREATE TRIGGER IF NOT EXISTS trg_slots_no_overlap_insert
BEFORE INSERT ON slots
WHEN NEW.status <> 'canceled'
BEGIN
    SELECT RAISE(ABORT, 'slot overlaps another slot of this recruiter')
    WHERE EXISTS (
        SELECT 1 FROM slots s
        WHERE s.recruiter_id = NEW.recruiter_id AND s.status <> 'canceled'
          AND s.start_utc < NEW.end_utc AND NEW.start_utc < s.end_utc
    );
END
""",
    """
CREATE TRIGGER IF NOT EXISTS trg_slots_no_overlap_update
BEFORE UPDATE OF start_utc, end_utc, status, recruiter_id ON slots
WHEN NEW.status <> 'canceled'
BEGIN
    SELECT RAISE(ABORT, 'slot overlaps another slot of this recruiter')
    WHERE EXISTS (
        SELECT 1 FROM slots s
        WHERE s.id <> NEW.id AND s.recruiter_id = NEW.recruiter_id AND s.status <> 'canceled'
          AND s.start_utc < NEW.end_utc AND NEW.start_utc < s.end_utc
    );
END
""",
)

OVERLAP_ERROR_MARKERS = ("ex_slots_no_overlap", "slot overlaps another slot")
