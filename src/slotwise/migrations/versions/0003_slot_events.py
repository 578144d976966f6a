"""slot_events: the append-only audit trail of booking transitions.

Revision ID: 0003
Revises: 0002

Self-contained: the table is spelled out here, as it is on the day of this migration (no import
of the live schema, which may change after it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "slot_events",
        sa.Column("id", BigId, nullable=False),
        sa.Column("slot_id", BigId, nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=False),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("candidate_telegram_id", sa.BigInteger(), nullable=True),
        sa.Column("related_slot_id", BigId, nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slot_events")),
    )
    op.create_index("ix_slot_events_slot_id", "slot_events", ["slot_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_slot_events_slot_id", table_name="slot_events")
    op.drop_table("slot_events")
