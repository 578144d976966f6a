"""Recruiter management: create, change (including cities), delete (not while booked)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slotwise.domain.models import City, Recruiter
from slotwise.result import (
    ConflictError,
    Error,
    Failure,
    Result,
    Success,
    ValidationError,
)
from slotwise.services.common import Precondition, apply_changes, check_precondition, finish
from slotwise.services.ports import UnitOfWork, UowFactory

FIELDS = frozenset({"name", "timezone", "telegram_chat_id", "active", "meeting_url"})


@dataclass(frozen=True, slots=True)
class CreateRecruiter:
    name: str
    timezone: str = "UTC"
    telegram_chat_id: int | None = None
    active: bool = True
    meeting_url: str | None = None
    city_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class UpdateRecruiter:
    """A partial update: only the keys of ``changes`` change (``city_ids`` among them)."""

    recruiter_id: int
    changes: Mapping[str, Any]
    if_match: Precondition[Recruiter] = None


@dataclass(frozen=True, slots=True)
class DeleteRecruiter:
    recruiter_id: int
    if_match: Precondition[Recruiter] = None


async def create_recruiter(
    uow_factory: UowFactory, cmd: CreateRecruiter
) -> Result[Recruiter, Error]:
    async with uow_factory() as uow:
        cities = await _cities(uow, cmd.city_ids)
        if isinstance(cities, Failure):
            return cities
        recruiter = Recruiter(
            name=cmd.name,
            timezone=cmd.timezone,
            telegram_chat_id=cmd.telegram_chat_id,
            active=cmd.active,
            meeting_url=cmd.meeting_url,
        )
        recruiter.cities = list(cities.value)
        added = await uow.recruiters.add(recruiter)
        if isinstance(added, Failure):
            return added
        return await finish(uow, added.value)


async def update_recruiter(
    uow_factory: UowFactory, cmd: UpdateRecruiter
) -> Result[Recruiter, Error]:
    """Apply ``changes`` (only the keys given); ``city_ids`` replaces the recruiter's cities.

    The row is locked first: concurrent updates queue, and each one decides (``if_match``) on
    the state the previous one committed, so none is lost unseen.
    """
    changes = cmd.changes
    async with uow_factory() as uow:
        found = await uow.recruiters.get_for_update(cmd.recruiter_id)
        if isinstance(found, Failure):
            return found
        recruiter = found.value
        if (failed := check_precondition(cmd.if_match, recruiter, "Recruiter")) is not None:
            return failed
        apply_changes(recruiter, changes, FIELDS)
        if "city_ids" in changes:
            cities = await _cities(uow, changes["city_ids"])
            if isinstance(cities, Failure):
                return cities
            recruiter.cities = list(cities.value)
        saved = await uow.recruiters.update(recruiter)
        if isinstance(saved, Failure):
            return saved
        return await finish(uow, saved.value)


async def delete_recruiter(uow_factory: UowFactory, cmd: DeleteRecruiter) -> Result[bool, Error]:
    """Delete the recruiter and its slots, refused (409) while any slot is held by a candidate.

    The recruiter's row is locked before its slots: a slot insert for it (whose foreign key
    check needs a share lock on that row) waits until the delete ends, so the slots locked and
    checked next are all the recruiter will ever have.
    """
    recruiter_id = cmd.recruiter_id
    async with uow_factory() as uow:
        found = await uow.recruiters.get_for_update(recruiter_id)
        if isinstance(found, Failure):
            return found
        if (failed := check_precondition(cmd.if_match, found.value, "Recruiter")) is not None:
            return failed
        locked = await uow.slots.lock_for_recruiter(recruiter_id)
        if isinstance(locked, Failure):
            return locked
        busy = await uow.recruiters.has_active_bookings(recruiter_id)
        if isinstance(busy, Failure):
            return busy
        if busy.value:
            return Failure(
                ConflictError(
                    "Recruiter",
                    "the recruiter has active bookings; release or cancel them first",
                    "slots",
                )
            )
        deleted = await uow.recruiters.delete(recruiter_id)
        if isinstance(deleted, Failure):
            return deleted
        return await finish(uow, True)


async def _cities(uow: UnitOfWork, city_ids: Sequence[int]) -> Result[Sequence[City], Error]:
    wanted = sorted(set(city_ids))
    loaded = await uow.recruiters.load_cities(wanted)
    if isinstance(loaded, Failure):
        return loaded
    missing = sorted(set(wanted) - {city.id for city in loaded.value})
    if missing:
        return Failure(ValidationError("city_ids", f"no such cities: {missing}", missing))
    return Success(loaded.value)
