"""Slot management: create one, create many (all or nothing), delete a free or canceled one.

Overlaps are refused by the database (the exclusion constraint on PostgreSQL, triggers on
SQLite), so two requests creating overlapping slots at once cannot both succeed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from slotwise.domain.models import Slot, SlotStatus
from slotwise.result import (
    ConflictError,
    Error,
    Failure,
    InvalidTransitionError,
    Result,
    Success,
    ValidationError,
)
from slotwise.services.common import check_exists, finish
from slotwise.services.ports import Existence, UnitOfWork, UowFactory

DELETABLE = frozenset({SlotStatus.FREE, SlotStatus.CANCELED})


@dataclass(frozen=True, slots=True)
class NewSlot:
    recruiter_id: int
    start_utc: datetime
    duration_min: int = 60
    city_id: int | None = None


@dataclass(frozen=True, slots=True)
class CreateSlots:
    """A batch created all or nothing."""

    slots: tuple[NewSlot, ...]


@dataclass(frozen=True, slots=True)
class DeleteSlot:
    slot_id: int


async def create_slot(uow_factory: UowFactory, new: NewSlot) -> Result[Slot, Error]:
    created = await create_slots(uow_factory, CreateSlots((new,)))
    return created.map(lambda slots: slots[0])


async def create_slots(uow_factory: UowFactory, cmd: CreateSlots) -> Result[list[Slot], Error]:
    """Create every slot of the batch or none; errors name the failing item (``slots[i]``).

    The rows are inserted in (recruiter, start) order, whatever the request's order: two
    batches that overlap wait on each other's first common slot instead of each holding one
    the other needs (a deadlock). They come back in the request's order.
    """
    batch = cmd.slots
    async with uow_factory() as uow:
        checked = await _check_references(uow, batch)
        if isinstance(checked, Failure):
            return checked
        ids: dict[int, int] = {}
        for index in insert_order(batch):
            new = batch[index]
            added = await uow.slots.add(
                Slot(
                    recruiter_id=new.recruiter_id,
                    city_id=new.city_id,
                    start_utc=new.start_utc,
                    duration_min=new.duration_min,
                    status=SlotStatus.FREE,
                )
            )
            if isinstance(added, Failure):
                return Failure(_at(added.error, index, len(batch)))
            ids[index] = added.value.id
        # Reload with recruiter and city (one statement); the rows are this transaction's own.
        loaded = await uow.slots.lock_many(list(ids.values()))
        if isinstance(loaded, Failure):
            return loaded
        by_id = {slot.id: slot for slot in loaded.value}
        return await finish(uow, [by_id[ids[index]] for index in range(len(batch))])


def insert_order(batch: Sequence[NewSlot]) -> list[int]:
    """The batch's indexes sorted by (recruiter, start): one order for every transaction."""
    return sorted(range(len(batch)), key=lambda i: (batch[i].recruiter_id, batch[i].start_utc))


async def _check_references(uow: UnitOfWork, batch: Sequence[NewSlot]) -> Result[None, Error]:
    """Unknown recruiter or city ids are the client's mistake (422), not a conflict."""
    checks: list[tuple[str, Existence, set[int]]] = [
        ("recruiter_id", uow.recruiters, {n.recruiter_id for n in batch}),
        ("city_id", uow.cities, {n.city_id for n in batch if n.city_id is not None}),
    ]
    for field, repo, ids in checks:
        for ident in sorted(ids):
            checked = await check_exists(repo, field, field[:-3], ident, value=ident)
            if isinstance(checked, Failure):
                return checked
    return Success(None)


def _at(error: Error, index: int, size: int) -> Error:
    """Point an error at the batch item that caused it (only when there is a batch)."""
    if size == 1:
        return error
    if isinstance(error, ValidationError):
        return replace(error, field=f"slots[{index}].{error.field}")
    if isinstance(error, ConflictError):
        field = f"slots[{index}].{error.conflicting_field or 'start_utc'}"
        return replace(error, message=f"slots[{index}]: {error.message}", conflicting_field=field)
    return error


async def delete_slot(uow_factory: UowFactory, cmd: DeleteSlot) -> Result[bool, Error]:
    """Delete a slot nobody holds (free or canceled); an active one must be released first."""
    async with uow_factory() as uow:
        found = await uow.slots.get_for_update(cmd.slot_id)
        if isinstance(found, Failure):
            return found
        status = SlotStatus(found.value.status)
        if status not in DELETABLE:
            return Failure(
                InvalidTransitionError(
                    "Slot",
                    f"cannot delete a slot that is {status.value}; release or cancel it first",
                    "status",
                    action="delete",
                    from_status=status.value,
                )
            )
        deleted = await uow.slots.delete(cmd.slot_id)
        if isinstance(deleted, Failure):
            return deleted
        return await finish(uow, True)
