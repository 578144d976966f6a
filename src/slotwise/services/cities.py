"""City management: create and change (cities are deactivated, not deleted)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slotwise.domain.models import City
from slotwise.persistence.uow import UnitOfWork
from slotwise.result import Error, Failure, Result
from slotwise.services.common import UowFactory, apply_changes, check_exists, finish, pick

FIELDS = frozenset({"name", "timezone", "active", "responsible_recruiter_id"})


async def create_city(uow_factory: UowFactory, fields: Mapping[str, Any]) -> Result[City, Error]:
    async with uow_factory() as uow:
        checked = await _check_recruiter(uow, fields.get("responsible_recruiter_id"))
        if isinstance(checked, Failure):
            return checked
        added = await uow.cities.add(City(**pick(fields, FIELDS)))
        if isinstance(added, Failure):
            return added
        return await finish(uow, added.value)


async def update_city(
    uow_factory: UowFactory, city_id: int, changes: Mapping[str, Any]
) -> Result[City, Error]:
    async with uow_factory() as uow:
        found = await uow.cities.get(city_id)
        if isinstance(found, Failure):
            return found
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
