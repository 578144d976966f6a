"""Message template management: create, change, delete."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slotwise.domain.models import Template
from slotwise.result import Error, Failure, Result
from slotwise.services.common import (
    Precondition,
    apply_changes,
    check_exists,
    check_precondition,
    finish,
)
from slotwise.services.ports import UnitOfWork, UowFactory

FIELDS = frozenset({"city_id", "key", "text"})


@dataclass(frozen=True, slots=True)
class CreateTemplate:
    """``city_id`` None is the global template for ``key``."""

    key: str
    text: str
    city_id: int | None = None


@dataclass(frozen=True, slots=True)
class UpdateTemplate:
    """A partial update: only the keys of ``changes`` change."""

    template_id: int
    changes: Mapping[str, Any]
    if_match: Precondition[Template] = None


@dataclass(frozen=True, slots=True)
class DeleteTemplate:
    template_id: int
    if_match: Precondition[Template] = None


async def create_template(uow_factory: UowFactory, cmd: CreateTemplate) -> Result[Template, Error]:
    async with uow_factory() as uow:
        checked = await _check_city(uow, cmd.city_id)
        if isinstance(checked, Failure):
            return checked
        added = await uow.templates.add(Template(city_id=cmd.city_id, key=cmd.key, text=cmd.text))
        if isinstance(added, Failure):
            return added
        return await finish(uow, added.value)


async def update_template(uow_factory: UowFactory, cmd: UpdateTemplate) -> Result[Template, Error]:
    """Apply ``changes`` to the row-locked template (``if_match`` decided on it)."""
    changes = cmd.changes
    async with uow_factory() as uow:
        found = await uow.templates.get_for_update(cmd.template_id)
        if isinstance(found, Failure):
            return found
        if (failed := check_precondition(cmd.if_match, found.value, "Template")) is not None:
            return failed
        checked = await _check_city(uow, changes.get("city_id"))
        if isinstance(checked, Failure):
            return checked
        template = found.value
        apply_changes(template, changes, FIELDS)
        saved = await uow.templates.update(template)
        if isinstance(saved, Failure):
            return saved
        return await finish(uow, saved.value)


async def delete_template(uow_factory: UowFactory, cmd: DeleteTemplate) -> Result[bool, Error]:
    async with uow_factory() as uow:
        found = await uow.templates.get_for_update(cmd.template_id)
        if isinstance(found, Failure):
            return found
        if (failed := check_precondition(cmd.if_match, found.value, "Template")) is not None:
            return failed
        deleted = await uow.templates.delete(cmd.template_id)
        if isinstance(deleted, Failure):
            return deleted
        return await finish(uow, True)


async def _check_city(uow: UnitOfWork, city_id: int | None) -> Result[None, Error]:
    return await check_exists(uow.cities, "city_id", "city", city_id, value=city_id)
