"""/api/slots: list and get (any role), create, delete and the history (admin), and the booking
transitions (book / confirm / release / reschedule: bot or admin; approve / cancel: admin).

A bot token sees no candidate data in lists and single slots, and acts only for the Telegram
user of its init data when the server knows the bot's token (``api.identity``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from slotwise.api import cached_pages
from slotwise.api.auth import Role
from slotwise.api.deps import (
    AdminDep,
    AnyRoleDep,
    CandidateDep,
    Limit,
    Offset,
    PathId,
    QueryId,
    UowDep,
    UowFactoryDep,
)
from slotwise.api.errors import error_responses, from_error, unwrap
from slotwise.api.etag import etag_documented, tagged_response
from slotwise.api.render import rendered_response, slot_dict
from slotwise.api.schemas import (
    ApiDatetime,
    BookRequest,
    CandidateRequest,
    Page,
    RescheduleRequest,
    SlotBulkCreate,
    SlotCreate,
    SlotEventOut,
    SlotOut,
)
from slotwise.domain.models import SlotStatus
from slotwise.repositories import SlotFilters
from slotwise.result import NotFoundError
from slotwise.services import booking
from slotwise.services import slots as service
from slotwise.services.slots import CreateSlots, DeleteSlot, NewSlot

router = APIRouter(
    prefix="/api/slots", tags=["slots"], responses=error_responses(401, 413, 422, 503)
)

_TRANSITION_ERRORS = error_responses(403, 404, 409)
_TRANSITION = {**_TRANSITION_ERRORS, **etag_documented()}


@router.get("", response_model=Page[SlotOut], summary="List slots, ordered by start_utc, id")
async def list_slots(
    role: AnyRoleDep,
    uow: UowDep,
    recruiter_id: QueryId = None,
    city_id: QueryId = None,
    status: SlotStatus | None = None,
    start_from: Annotated[ApiDatetime | None, Query(description="start_utc >= this")] = None,
    start_to: Annotated[ApiDatetime | None, Query(description="start_utc < this")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    filters = SlotFilters(recruiter_id, city_id, status, start_from, start_to)
    page = await cached_pages.slots_page(uow, filters, limit, offset, role is Role.ADMIN)
    return rendered_response(unwrap(page))


@router.get(
    "/{slot_id}",
    response_model=SlotOut,
    summary="One slot (with the ETag of what this role sees)",
    responses={**error_responses(404), **etag_documented()},
)
async def get_slot(role: AnyRoleDep, slot_id: PathId, uow: UowDep) -> Response:
    slot = unwrap(await uow.slots.get(slot_id))
    return tagged_response(slot_dict(slot, with_candidate=role is Role.ADMIN))


@router.get(
    "/{slot_id}/history",
    response_model=Page[SlotEventOut],
    summary="The slot's booking transitions, oldest first (admin): who, what, when",
    responses=error_responses(403, 404),
)
async def slot_history(
    _: AdminDep, slot_id: PathId, uow: UowDep, limit: Limit = 100, offset: Offset = 0
) -> Page[SlotEventOut]:
    if not unwrap(await uow.slots.exists(slot_id)):
        raise from_error(NotFoundError("Slot", slot_id))
    page = unwrap(await uow.slot_events.list_for_slot(slot_id, limit, offset))
    items = [SlotEventOut.of(event) for event in page.items]
    return Page(items=items, total=page.total, limit=limit, offset=offset)


def _new(body: SlotCreate) -> NewSlot:
    return NewSlot(body.recruiter_id, body.start_utc, body.duration_min, body.city_id)


@router.post(
    "",
    response_model=SlotOut,
    status_code=201,
    summary="Create a free slot (409 if it overlaps another of the recruiter)",
    responses={**error_responses(403, 409), **etag_documented(201)},
)
async def create_slot(_: AdminDep, body: SlotCreate, uows: UowFactoryDep) -> Response:
    return tagged_response(slot_dict(unwrap(await service.create_slot(uows, _new(body)))), 201)


@router.post(
    "/bulk",
    response_model=list[SlotOut],
    status_code=201,
    summary="Create many slots: all or nothing",
    responses=error_responses(403, 409),
)
async def create_slots(_: AdminDep, body: SlotBulkCreate, uows: UowFactoryDep) -> list[SlotOut]:
    created = unwrap(
        await service.create_slots(uows, CreateSlots(tuple(_new(s) for s in body.slots)))
    )
    return [SlotOut.of(s) for s in created]


@router.delete(
    "/{slot_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a free or canceled slot",
    responses=_TRANSITION_ERRORS,
)
async def delete_slot(_: AdminDep, slot_id: PathId, uows: UowFactoryDep) -> Response:
    unwrap(await service.delete_slot(uows, DeleteSlot(slot_id)))
    return Response(status_code=204)


@router.post(
    "/{slot_id}/book",
    response_model=SlotOut,
    summary="A candidate books a free slot (free -> pending)",
    responses=_TRANSITION,
)
async def book_slot(
    who: CandidateDep, slot_id: PathId, body: BookRequest, uows: UowFactoryDep
) -> Response:
    who.acting_for(body.telegram_id)
    cmd = booking.BookSlot(
        slot_id, body.telegram_id, body.name, body.timezone, actor=who.role.actor
    )
    return tagged_response(slot_dict(unwrap(await booking.book(uows, cmd))))


@router.post(
    "/{slot_id}/approve",
    response_model=SlotOut,
    summary="The recruiter approves (pending -> booked)",
    responses=_TRANSITION,
)
async def approve_slot(role: AdminDep, slot_id: PathId, uows: UowFactoryDep) -> Response:
    return tagged_response(
        slot_dict(
            unwrap(await booking.approve(uows, booking.ApproveSlot(slot_id, actor=role.actor)))
        )
    )


@router.post(
    "/{slot_id}/cancel",
    response_model=SlotOut,
    summary="The recruiter withdraws the slot (-> canceled)",
    responses=_TRANSITION,
)
async def cancel_slot(role: AdminDep, slot_id: PathId, uows: UowFactoryDep) -> Response:
    return tagged_response(
        slot_dict(unwrap(await booking.cancel(uows, booking.CancelSlot(slot_id, actor=role.actor))))
    )


@router.post(
    "/{slot_id}/confirm",
    response_model=SlotOut,
    summary="The holder confirms attendance (booked -> confirmed_by_candidate)",
    responses=_TRANSITION,
)
async def confirm_slot(
    who: CandidateDep, slot_id: PathId, body: CandidateRequest, uows: UowFactoryDep
) -> Response:
    who.acting_for(body.telegram_id)
    cmd = booking.ConfirmSlot(slot_id, body.telegram_id, actor=who.role.actor)
    return tagged_response(slot_dict(unwrap(await booking.confirm(uows, cmd))))


@router.post(
    "/{slot_id}/release",
    response_model=SlotOut,
    summary="The holder gives the slot back (-> free)",
    responses=_TRANSITION,
)
async def release_slot(
    who: CandidateDep, slot_id: PathId, body: CandidateRequest, uows: UowFactoryDep
) -> Response:
    who.acting_for(body.telegram_id)
    cmd = booking.ReleaseSlot(slot_id, body.telegram_id, actor=who.role.actor)
    return tagged_response(slot_dict(unwrap(await booking.release(uows, cmd))))


@router.post(
    "/{slot_id}/reschedule",
    response_model=SlotOut,
    summary="Move the holder to a free slot, atomically; returns the new slot",
    responses=_TRANSITION,
)
async def reschedule_slot(
    who: CandidateDep, slot_id: PathId, body: RescheduleRequest, uows: UowFactoryDep
) -> Response:
    who.acting_for(body.telegram_id)
    cmd = booking.Reschedule(slot_id, body.telegram_id, body.new_slot_id, actor=who.role.actor)
    return tagged_response(slot_dict(unwrap(await booking.reschedule(uows, cmd))))
