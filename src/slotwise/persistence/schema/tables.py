"""The tables, with every constraint the business relies on under concurrency: unique names,
one holder per slot, one active slot per candidate and recruiter, no overlapping slots (an
exclusion constraint on PostgreSQL; SQLite uses the triggers of ``triggers``)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    literal_column,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import ExcludeConstraint

from slotwise.domain.status import SlotStatus
from slotwise.persistence.schema.types import (
    ActorRoleType,
    BigId,
    StatusType,
    UTCDateTime,
    utcnow,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

_ACTIVE_SQL = "status IN ('pending', 'booked', 'confirmed_by_candidate')"

recruiters = Table(
    "recruiters",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("telegram_chat_id", BigInteger, unique=True, nullable=True),
    Column("timezone", String(64), nullable=False, default="UTC"),
    Column("active", Boolean, nullable=False, default=True, server_default=sql_text("true")),
    Column("meeting_url", String(500), nullable=True),
    CheckConstraint("length(trim(name)) > 0", name="name_not_empty"),
    Index("ix_recruiters_active", "active"),
)

cities = Table(
    "cities",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("name", String(120), unique=True, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("active", Boolean, nullable=False, default=True, server_default=sql_text("true")),
    Column(
        "responsible_recruiter_id",
        BigId,
        ForeignKey("recruiters.id", ondelete="SET NULL", use_alter=True),
        nullable=True,
    ),
    CheckConstraint("length(trim(name)) > 0", name="name_not_empty"),
    Index("ix_cities_active", "active"),
)

recruiter_cities = Table(
    "recruiter_cities",
    metadata,
    Column(
        "recruiter_id",
        BigId,
        ForeignKey("recruiters.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("city_id", BigId, ForeignKey("cities.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_recruiter_cities_city_id", "city_id"),
)

slots = Table(
    "slots",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("recruiter_id", BigId, ForeignKey("recruiters.id", ondelete="CASCADE"), nullable=False),
    Column("city_id", BigId, ForeignKey("cities.id", ondelete="SET NULL"), nullable=True),
    Column("start_utc", UTCDateTime(), nullable=False),
    Column("end_utc", UTCDateTime(), nullable=False),
    Column("duration_min", Integer, nullable=False, default=60),
    Column(
        "status",
        StatusType(),
        nullable=False,
        default=SlotStatus.FREE,
        server_default=SlotStatus.FREE.value,
    ),
    Column("candidate_telegram_id", BigInteger, nullable=True),
    Column("candidate_name", String(100), nullable=True),
    Column("candidate_timezone", String(64), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
    Column("updated_at", UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow),
    Column("version", Integer, nullable=False, default=1, server_default=sql_text("1")),
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

users = Table(
    "users",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("telegram_id", BigInteger, unique=True, nullable=False),
    Column("name", String(100), nullable=False),
    Column("city_id", BigId, ForeignKey("cities.id", ondelete="SET NULL"), nullable=True),
    Column("timezone", String(64), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
    Column("updated_at", UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow),
)

templates = Table(
    "templates",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("city_id", BigId, ForeignKey("cities.id", ondelete="CASCADE"), nullable=True),
    Column("key", String(50), nullable=False),
    Column("text", Text, nullable=False),
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

# The audit trail of booking transitions: append-only. No foreign key to slots on purpose:
# the history of a slot outlives the slot (a deleted slot's events stay readable in the
# database, though the API answers 404 for a slot that no longer exists).
slot_events = Table(
    "slot_events",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("slot_id", BigId, nullable=False),
    Column("action", String(32), nullable=False),
    Column("from_status", StatusType(), nullable=False),
    Column("to_status", StatusType(), nullable=False),
    Column("actor_role", ActorRoleType(), nullable=False),
    Column("candidate_telegram_id", BigInteger, nullable=True),
    Column("related_slot_id", BigId, nullable=True),
    Column("at", UTCDateTime(), nullable=False, default=utcnow),
    Index("ix_slot_events_slot_id", "slot_id", "id"),
)
