"""The benchmark's data: the demo data set at a size chosen by the mode, and what the
scenarios need to know about it (ids of recruiters and of future free slots)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotwise.domain.models import Recruiter, Slot, SlotStatus
from slotwise.persistence import db
from slotwise.persistence.migrate import upgrade


@dataclass(frozen=True, slots=True)
class Dataset:
    recruiter_ids: list[int]
    free_slot_ids: list[int]
    slots: int
    recruiters: int


class DatabaseNotEmpty(RuntimeError):
    """A database given to the benchmark already holds slots: it would change them."""


async def prepare(engine: AsyncEngine, *, recruiters: int, days: int, reuse: bool) -> Dataset:
    """Migrate, refuse a database that has data we did not make, seed, describe."""
    await upgrade(engine)
    db.set_engine(engine)
    factory = db.get_session_factory()
    async with factory() as session:
        existing = int(await session.scalar(select(func.count()).select_from(Slot)) or 0)
    if existing and not reuse:
        raise DatabaseNotEmpty(
            f"the database already holds {existing} slots; the benchmark writes to the data "
            "it uses, so give it an empty database (or none: it then makes its own)"
        )
    from slotwise.demo.seed import seed_demo

    await seed_demo(recruiters=recruiters, days=days)
    return await describe(engine)


async def describe(engine: AsyncEngine) -> Dataset:
    factory = db.build_session_factory(engine)
    now = datetime.now(UTC)
    async with factory() as session:
        recruiter_ids = list(
            (
                await session.scalars(
                    select(Recruiter.id).where(Recruiter.active.is_(True)).order_by(Recruiter.id)
                )
            ).all()
        )
        free = list(
            (
                await session.scalars(
                    select(Slot.id)
                    .where(Slot.status == SlotStatus.FREE, Slot.start_utc > now)
                    .order_by(Slot.id)
                )
            ).all()
        )
        slots = int(await session.scalar(select(func.count()).select_from(Slot)) or 0)
    return Dataset(recruiter_ids, free, slots, len(recruiter_ids))
