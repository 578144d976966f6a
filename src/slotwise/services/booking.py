"""Booking use cases: book, approve, confirm, release, cancel, reschedule.

Each is one transaction that decides on row-locked data (``get_for_update`` / ``lock_many``),
so concurrent requests for one slot queue on its row; the partial unique index (one active
slot per candidate and recruiter) settles races between different slots. A lost race is a
409 value, never an exception.

Each transition is recorded in the audit trail (``SlotEvent``) in the same transaction, with
the command's ``actor``: a refused or rolled-back transition leaves no event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from slotwise.domain.audit import Actor, SlotEvent
from slotwise.domain.models import NotHolder, Slot, SlotStatus, TransitionRejected, User
from slotwise.result import (
    ConflictError,
    Error,
    Failure,
    NotFoundError,
    Result,
    Success,
    ValidationError,
)
from slotwise.services.common import finish, not_holder, rejected
from slotwise.services.ports import UnitOfWork, UowFactory

_Change = Callable[[Slot], None]


@dataclass(frozen=True, slots=True)
class BookSlot:
    slot_id: int
    telegram_id: int
    name: str
    timezone: str | None = None
    actor: Actor = field(kw_only=True)


@dataclass(frozen=True, slots=True)
class ApproveSlot:
    slot_id: int
    actor: Actor = field(kw_only=True)


@dataclass(frozen=True, slots=True)
class CancelSlot:
    slot_id: int
    actor: Actor = field(kw_only=True)


@dataclass(frozen=True, slots=True)
class ConfirmSlot:
    slot_id: int
    telegram_id: int
    actor: Actor = field(kw_only=True)


@dataclass(frozen=True, slots=True)
class ReleaseSlot:
    slot_id: int
    telegram_id: int
    actor: Actor = field(kw_only=True)


@dataclass(frozen=True, slots=True)
class Reschedule:
    slot_id: int
    telegram_id: int
    new_slot_id: int
    actor: Actor = field(kw_only=True)


async def book(uow_factory: UowFactory, cmd: BookSlot) -> Result[Slot, Error]:
    """A candidate asks for a free slot: free -> pending, and the candidate is recorded."""
    async with uow_factory() as uow:
        found = await uow.slots.get_for_update(cmd.slot_id)
        if isinstance(found, Failure):
            return found
        slot = found.value
        before = SlotStatus(slot.status)
        try:
            slot.book(cmd.telegram_id, cmd.name, cmd.timezone)
        except TransitionRejected as exc:
            return rejected(exc)
        saved = await uow.slots.update(slot)
        if isinstance(saved, Failure):
            return saved
        candidate = await save_candidate(uow, cmd.telegram_id, cmd.name, cmd.timezone, slot.city_id)
        if isinstance(candidate, Failure):
            return candidate
        recorded = await record(uow, saved.value, "book", before, cmd.actor, cmd.telegram_id)
        if isinstance(recorded, Failure):
            return recorded
        return await finish(uow, saved.value)


async def record(
    uow: UnitOfWork,
    slot: Slot,
    action: str,
    before: SlotStatus,
    actor: Actor,
    candidate: int | None,
    related_slot_id: int | None = None,
) -> Result[SlotEvent, Error]:
    """Add the audit event of ``slot``'s transition from ``before`` to its status now."""
    change = (before, SlotStatus(slot.status))
    event = SlotEvent.record(slot.id, action, change, actor, candidate, related_slot_id)
    return await uow.slot_events.add(event)


async def save_candidate(
    uow: UnitOfWork, telegram_id: int, name: str, timezone: str | None, city_id: int | None
) -> Result[User, Error]:
    """Create the candidate, or bring name/timezone up to date (written only when changed).

    Read from the database, not the cache: the caller holds the slot's row lock.
    """
    existing = await uow.users.load_by_telegram_id(telegram_id)
    if isinstance(existing, Success):
        return await _refresh_candidate(uow, existing.value, name, timezone)
    if not isinstance(existing.error, NotFoundError):
        return existing
    created = await uow.users.add(
        User(telegram_id=telegram_id, name=name, timezone=timezone, city_id=city_id)
    )
    if isinstance(created, Failure) and isinstance(created.error, ConflictError):
        # Another request created the same candidate a moment ago (its insert won the unique
        # index and has committed by now): update that row instead.
        again = await uow.users.load_by_telegram_id(telegram_id)
        if isinstance(again, Failure):
            return again
        return await _refresh_candidate(uow, again.value, name, timezone)
    return created


async def _refresh_candidate(
    uow: UnitOfWork, user: User, name: str, timezone: str | None
) -> Result[User, Error]:
    new_timezone = timezone if timezone is not None else user.timezone
    if user.name == name and user.timezone == new_timezone:
        return Success(user)
    user.name = name
    user.timezone = new_timezone
    return await uow.users.update(user)


async def approve(uow_factory: UowFactory, cmd: ApproveSlot) -> Result[Slot, Error]:
    """The recruiter accepts the request: pending -> booked."""
    return await _transition(uow_factory, cmd.slot_id, "approve", cmd.actor, Slot.approve)


async def cancel(uow_factory: UowFactory, cmd: CancelSlot) -> Result[Slot, Error]:
    """The recruiter withdraws the slot (from any status but canceled)."""
    return await _transition(uow_factory, cmd.slot_id, "cancel", cmd.actor, Slot.cancel)


async def confirm(uow_factory: UowFactory, cmd: ConfirmSlot) -> Result[Slot, Error]:
    """The holder confirms attendance: booked -> confirmed_by_candidate."""
    return await _transition(
        uow_factory, cmd.slot_id, "confirm", cmd.actor, lambda slot: slot.confirm(cmd.telegram_id)
    )


async def release(uow_factory: UowFactory, cmd: ReleaseSlot) -> Result[Slot, Error]:
    """The holder gives the slot back: active -> free, candidate fields cleared."""
    return await _transition(
        uow_factory, cmd.slot_id, "release", cmd.actor, lambda slot: slot.release(cmd.telegram_id)
    )


async def _transition(
    uow_factory: UowFactory, slot_id: int, action: str, actor: Actor, change: _Change
) -> Result[Slot, Error]:
    """Lock the slot, ``change`` it, save it and record the event (its candidate: the holder
    before the change)."""
    async with uow_factory() as uow:
        found = await uow.slots.get_for_update(slot_id)
        if isinstance(found, Failure):
            return found
        slot = found.value
        before, holder = SlotStatus(slot.status), slot.candidate_telegram_id
        try:
            change(slot)
        except TransitionRejected as exc:
            return rejected(exc)
        except NotHolder as exc:
            return not_holder(exc)
        saved = await uow.slots.update(slot)
        if isinstance(saved, Failure):
            return saved
        recorded = await record(uow, saved.value, action, before, actor, holder)
        if isinstance(recorded, Failure):
            return recorded
        return await finish(uow, saved.value)


async def reschedule(uow_factory: UowFactory, cmd: Reschedule) -> Result[Slot, Error]:
    """Move the candidate from one slot to a free one, atomically: both change or neither.

    Both rows are locked in id order (no deadlock between two opposite reschedules); the old
    slot is released before the new one is booked, so the one-active-slot-per-recruiter index
    allows a move between two slots of the same recruiter.
    """
    if cmd.new_slot_id == cmd.slot_id:
        return Failure(ValidationError("new_slot_id", "must differ from the current slot"))
    async with uow_factory() as uow:
        locked = await uow.slots.lock_many([cmd.slot_id, cmd.new_slot_id])
        if isinstance(locked, Failure):
            return locked
        by_id = {slot.id: slot for slot in locked.value}
        for wanted in (cmd.slot_id, cmd.new_slot_id):
            if wanted not in by_id:
                return Failure(NotFoundError("Slot", wanted))
        old, new = by_id[cmd.slot_id], by_id[cmd.new_slot_id]
        if SlotStatus(new.status) is not SlotStatus.FREE:
            exc = TransitionRejected("book", SlotStatus(new.status).value)
            return rejected(exc, action="reschedule")
        name, timezone = old.candidate_name, old.candidate_timezone
        before = {old.id: SlotStatus(old.status), new.id: SlotStatus(new.status)}
        # One slot at a time: the old one is free in the database before the new one is
        # booked, as the one-active-slot-per-recruiter index requires.
        steps: tuple[tuple[Slot, _Change], ...] = (
            (old, lambda slot: slot.release(cmd.telegram_id)),
            (new, lambda slot: slot.book(cmd.telegram_id, name or "", timezone)),
        )
        for slot, change in steps:
            try:
                change(slot)
            except TransitionRejected as exc:
                return rejected(exc, action="reschedule")
            except NotHolder as exc:
                return not_holder(exc)
            saved = await uow.slots.update(slot)
            if isinstance(saved, Failure):
                return saved
        for slot, other in ((old, new), (new, old)):
            recorded = await record(
                uow, slot, "reschedule", before[slot.id], cmd.actor, cmd.telegram_id, other.id
            )
            if isinstance(recorded, Failure):
                return recorded
        return await finish(uow, new)
