"""initial schema: cities, recruiters, slots, users, templates

Revision ID: 0001
Revises:
Create Date: 2026-11-25

The rules that keep bookings sound under concurrency live here: a partial unique index for
"one active slot per candidate and recruiter", and "no overlapping slots per recruiter" as an
exclusion constraint on PostgreSQL (btree_gist) or BEFORE triggers on SQLite.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Stamp = sa.DateTime(timezone=True)
ACTIVE = "status IN ('pending', 'booked', 'confirmed_by_candidate')"

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


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "recruiters",
        sa.Column("id", BigId, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("telegram_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("meeting_url", sa.String(length=500), nullable=True),
        sa.CheckConstraint("length(trim(name)) > 0", name=op.f("ck_recruiters_name_not_empty")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recruiters")),
        sa.UniqueConstraint("telegram_chat_id", name=op.f("uq_recruiters_telegram_chat_id")),
    )
    op.create_index("ix_recruiters_active", "recruiters", ["active"])

    op.create_table(
        "cities",
        sa.Column("id", BigId, nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("responsible_recruiter_id", BigId, nullable=True),
        sa.CheckConstraint("length(trim(name)) > 0", name=op.f("ck_cities_name_not_empty")),
        sa.ForeignKeyConstraint(
            ["responsible_recruiter_id"],
            ["recruiters.id"],
            name=op.f("fk_cities_responsible_recruiter_id_recruiters"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cities")),
        sa.UniqueConstraint("name", name=op.f("uq_cities_name")),
    )
    op.create_index("ix_cities_active", "cities", ["active"])

    op.create_table(
        "recruiter_cities",
        sa.Column("recruiter_id", BigId, nullable=False),
        sa.Column("city_id", BigId, nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"],
            ["cities.id"],
            name=op.f("fk_recruiter_cities_city_id_cities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recruiter_id"],
            ["recruiters.id"],
            name=op.f("fk_recruiter_cities_recruiter_id_recruiters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("recruiter_id", "city_id", name=op.f("pk_recruiter_cities")),
    )
    op.create_index("ix_recruiter_cities_city_id", "recruiter_cities", ["city_id"])

    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "slots",
        sa.Column("id", BigId, nullable=False),
        sa.Column("recruiter_id", BigId, nullable=False),
        sa.Column("city_id", BigId, nullable=True),
        sa.Column("start_utc", Stamp, nullable=False),
        sa.Column("end_utc", Stamp, nullable=False),
        sa.Column("duration_min", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), server_default="free", nullable=False),
        sa.Column("candidate_telegram_id", sa.BigInteger(), nullable=True),
        sa.Column("candidate_name", sa.String(length=100), nullable=True),
        sa.Column("candidate_timezone", sa.String(length=64), nullable=True),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            f"NOT ({ACTIVE}) OR candidate_telegram_id IS NOT NULL",
            name=op.f("ck_slots_active_has_candidate"),
        ),
        sa.CheckConstraint(
            "status <> 'free' OR candidate_telegram_id IS NULL",
            name=op.f("ck_slots_free_has_no_candidate"),
        ),
        sa.CheckConstraint(
            "status IN ('free', 'pending', 'booked', 'confirmed_by_candidate', 'canceled')",
            name=op.f("ck_slots_status_known"),
        ),
        sa.CheckConstraint("duration_min BETWEEN 10 AND 480", name=op.f("ck_slots_duration_range")),
        sa.CheckConstraint("end_utc > start_utc", name=op.f("ck_slots_end_after_start")),
        sa.ForeignKeyConstraint(
            ["city_id"], ["cities.id"], name=op.f("fk_slots_city_id_cities"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["recruiter_id"],
            ["recruiters.id"],
            name=op.f("fk_slots_recruiter_id_recruiters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slots")),
    )
    op.create_index("ix_slots_candidate_start", "slots", ["candidate_telegram_id", "start_utc"])
    op.create_index("ix_slots_city_start", "slots", ["city_id", "start_utc"])
    op.create_index("ix_slots_recruiter_start", "slots", ["recruiter_id", "start_utc"])
    op.create_index("ix_slots_status_start", "slots", ["status", "start_utc"])
    op.create_index(
        "uq_slots_active_candidate_recruiter",
        "slots",
        ["recruiter_id", "candidate_telegram_id"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )
    if dialect == "postgresql":
        op.execute(
            "ALTER TABLE slots ADD CONSTRAINT ex_slots_no_overlap EXCLUDE USING gist "
            "(recruiter_id WITH =, tstzrange(start_utc, end_utc) WITH &&) "
            "WHERE (status <> 'canceled')"
        )
    elif dialect == "sqlite":
        for trigger in SQLITE_OVERLAP_TRIGGERS:
            op.execute(trigger)

    op.create_table(
        "templates",
        sa.Column("id", BigId, nullable=False),
        sa.Column("city_id", BigId, nullable=True),
        sa.Column("key", sa.String(length=50), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.CheckConstraint("length(trim(key)) > 0", name=op.f("ck_templates_key_not_empty")),
        sa.ForeignKeyConstraint(
            ["city_id"], ["cities.id"], name=op.f("fk_templates_city_id_cities"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_templates")),
        sa.UniqueConstraint("city_id", "key", name="uq_templates_city_key"),
    )
    op.create_index(
        "uq_templates_global_key",
        "templates",
        ["key"],
        unique=True,
        sqlite_where=sa.text("city_id IS NULL"),
        postgresql_where=sa.text("city_id IS NULL"),
    )

    op.create_table(
        "users",
        sa.Column("id", BigId, nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("city_id", BigId, nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["cities.id"], name=op.f("fk_users_city_id_cities"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("telegram_id", name=op.f("uq_users_telegram_id")),
    )


def downgrade() -> None:
    op.drop_table("users")
    op.drop_table("templates")
    op.drop_table("slots")
    op.drop_table("recruiter_cities")
    op.drop_table("cities")
    op.drop_table("recruiters")
