"""The migrations and the models describe the same schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from slotwise.domain.models import Recruiter, Slot
from slotwise.persistence import db
from slotwise.persistence.migrate import downgrade, upgrade
from slotwise.persistence.orm import metadata
from slotwise.repositories import UnitOfWork
from slotwise.result import ConflictError, Failure, Success


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": False}
    )
    return list(compare_metadata(context, metadata))


async def test_autogenerate_finds_no_difference(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    assert diff == []


async def test_downgrade_to_base_and_upgrade_again(engine: AsyncEngine) -> None:
    """The whole chain runs both ways and ends where the models are, rules included."""
    await downgrade(engine, "base")
    async with engine.connect() as conn:
        left = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert left <= {"alembic_version"}

    await upgrade(engine)
    async with engine.connect() as conn:
        assert await conn.run_sync(_diff) == []
    # The overlap rule (a trigger on SQLite, an exclusion constraint on PostgreSQL) is back.
    async with UnitOfWork(db.build_session_factory(engine)) as uow:
        owner = await uow.recruiters.add(Recruiter(name="Anna"))
        assert isinstance(owner, Success)
        start = datetime(2031, 3, 3, 9, tzinfo=UTC)
        first = await uow.slots.add(Slot(recruiter_id=owner.value.id, start_utc=start))
        assert isinstance(first, Success)
        later = start + timedelta(minutes=30)
        second = await uow.slots.add(Slot(recruiter_id=owner.value.id, start_utc=later))
        assert isinstance(second, Failure)
        assert isinstance(second.error, ConflictError)
