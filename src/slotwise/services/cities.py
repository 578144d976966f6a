"""City management: create and change (cities are deactivated, not deleted)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slotwise.domain.models import City
from slotwise.result import Error, Failure, Result
from slotwise.services.common import (
    Precondition,
    apply_changes,
    check_exists,
    check_precondition,
    finish,
)
from slotwise.services.ports import UnitOfWork, UowFactory

FIELDS = frozenset({"name", "timezone", "active", "responsible_recruiter_id"})


@dataclass(frozen=True, slots=True)
class CreateCity:
    name: str
    timezone: str
    active: bool = True
    responsible_recruiter_id: int | None = None


@dataclass(frozen=True, slots=True)
class UpdateCity:
    """A partial update: only the keys of ``changes`` change."""

    city_id: int
    changes: Mapping[str, Any]
    if_match: Precondition[City] = None


async def create_city(uow_factory: UowFactory, cmd: CreateCity) -> Result[City, Error]:
    async with uow_factory() as uow:
        checked = await _check_recruiter(uow, cmd.responsible_recruiter_id)
        if isinstance(checked, Failure):
            return checked
        city = City(
            name=cmd.name,
            timezone=cmd.timezone,
            active=cmd.active,
            responsible_recruiter_id=cmd.responsible_recruiter_id,
        )
        added = await uow.cities.add(city)
        if isinstance(added, Failure):
            return added
        return await finish(uow, added.value)


async def update_city(uow_factory: UowFactory, cmd: UpdateCity) -> Result[City, Error]:
    """Apply ``changes`` to the row-locked city (``if_match`` decided on it)."""
    changes = cmd.changes
    async with uow_factory() as uow:
        found = await uow.cities.get_for_update(cmd.city_id)
        if isinstance(found, Failure):
            return found
        if (failed := check_precondition(cmd.if_match, found.value, "City")) is not None:
            return failed
        checked = await _check_recruiter(uow, changes.get("responsible_recruiter_id"))
        if isinstance(checked, Failure):
            return checked
        city = found.value
        apply_changes(city, changes, FIELDS)
        saved = await uow.cities.update(city)
        if isinstance(saved, Failure):
            return saved
        return await finish(uow, saved.value)


async def _check_recruiter(uow: UnitOfWork, recruiter_id: int | None) -> Result[None, Error]:
    return await check_exists(uow.recruiters, "responsible_recruiter_id", "recruiter", recruiter_id)
