"""On PostgreSQL a lock that cannot be taken is a ConflictError (409), never an outage (503)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from slotwise.domain.models import Recruiter, Slot
from slotwise.persistence.repository.errors import DB_EXCEPTIONS, classify
from slotwise.result import ConflictError

pytestmark = pytest.mark.real_services


async def test_lock_not_available_is_a_conflict(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as setup:
        recruiter = Recruiter(name="Locky", timezone="UTC")
        setup.add(recruiter)
        await setup.flush()
        slot = Slot(
            recruiter_id=recruiter.id,
            start_utc=datetime.now(UTC) + timedelta(days=1),
            duration_min=30,
        )
        setup.add(slot)
        await setup.commit()
        slot_id = slot.id

    async with session_factory() as holder, session_factory() as other:
        await holder.execute(select(Slot).where(Slot.id == slot_id).with_for_update())
        await other.execute(text("SET LOCAL lock_timeout = '50ms'"))
        with pytest.raises(DB_EXCEPTIONS) as caught:
            await other.execute(select(Slot).where(Slot.id == slot_id).with_for_update())
        assert isinstance(classify("Slot", "lock", caught.value), ConflictError)
