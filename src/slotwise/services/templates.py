"""Message template management: create, change, delete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slotwise.domain.models import Template
from slotwise.persistence.uow import UnitOfWork
from slotwise.result import Error, Failure, Result
from slotwise.services.common import UowFactory, apply_changes, check_exists, finish, pick

FIELDS = frozenset({"city_id", "key", "text"})


async def create_template(
    uow_factory: UowFactory, fields: Mapping[str, Any]
) -> Result[Template, Error]:
    async with uow_factory() as uow:
        checked = await _check_city(uow, fields.get("city_id"))
        if isinstance(checked, Failure):
            return checked
        added = await uow.templates.add(Template(**pick(fields, FIELDS)))
        if isinstance(added, Failure):
            return added
        return await finish(uow, added.value)


async def update_template(
    uow_factory: UowFactory, template_id: int, changes: Mapping[str, Any]
) -> Result[Template, Error]:
    async with uow_factory() as uow:
        found = await uow.templates.get(template_id)
        if isinstance(found, Failure):
            return found
        checked = await _check_city(uow, changes.get("city_id"))
        if isinstance(checked, Failure):
            return checked
        template = found.value
        apply_changes(template, changes, FIELDS)
        saved = await uow.templates.update(template)
        if isinstance(saved, Failure):
            return saved
        return await finish(uow, saved.value)


async def delete_template(uow_factory: UowFactory, template_id: int) -> Result[bool, Error]:
    async with uow_factory() as uow:
        deleted = await uow.templates.delete(template_id)
        if isinstance(deleted, Failure):
            return deleted
        return await finish(uow, True)


async def _check_city(uow: UnitOfWork, city_id: int | None) -> Result[None, Error]:
    return await check_exists(uow.cities, "city_id", "city", city_id, value=city_id)
