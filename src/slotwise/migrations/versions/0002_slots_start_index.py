"""Index slots by (start_utc, id): the unfiltered slot list and its time-window filters.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_slots_start_id", "slots", ["start_utc", "id"])


def downgrade() -> None:
    op.drop_index("ix_slots_start_id", table_name="slots")
