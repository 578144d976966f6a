"""/api/recruiters: list and get (any role), create, change and delete (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from slotwise.api import cached_pages
from slotwise.api.deps import (
    AdminDep,
    AnyRoleDep,
    Limit,
    Offset,
    PathId,
    QueryId,
    UowDep,
    UowFactoryDep,
)
from slotwise.api.errors import error_responses, unwrap
from slotwise.api.etag import IfMatchHeader, etag_documented, precondition, tagged_response
from slotwise.api.render import recruiter_dict, rendered_response
from slotwise.api.schemas import Page, RecruiterCreate, RecruiterOut, RecruiterUpdate
from slotwise.services import recruiters as service

router = APIRouter(
    prefix="/api/recruiters", tags=["recruiters"], responses=error_responses(401, 413, 422, 503)
)


@router.get("", response_model=Page[RecruiterOut], summary="List recruiters with city_ids")
async def list_recruiters(
    _: AnyRoleDep,
    uow: UowDep,
    active: bool | None = None,
    city_id: QueryId = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    body = await cached_pages.recruiters_page(uow, active, city_id, limit, offset)
    return rendered_response(unwrap(body))


@router.get(
    "/{recruiter_id}",
    response_model=RecruiterOut,
    summary="One recruiter (with its ETag)",
    responses={**error_responses(404), **etag_documented()},
)
async def get_recruiter(_: AnyRoleDep, recruiter_id: PathId, uow: UowDep) -> Response:
    return tagged_response(recruiter_dict(unwrap(await uow.recruiters.get(recruiter_id))))


@router.post(
    "",
    response_model=RecruiterOut,
    status_code=201,
    summary="Create a recruiter",
    responses={**error_responses(403, 409), **etag_documented(201)},
)
async def create_recruiter(_: AdminDep, body: RecruiterCreate, uows: UowFactoryDep) -> Response:
    cmd = service.CreateRecruiter(
        name=body.name,
        timezone=body.timezone,
        telegram_chat_id=body.telegram_chat_id,
        active=body.active,
        meeting_url=body.meeting_url,
        city_ids=tuple(body.city_ids),
    )
    return tagged_response(recruiter_dict(unwrap(await service.create_recruiter(uows, cmd))), 201)


@router.patch(
    "/{recruiter_id}",
    response_model=RecruiterOut,
    summary="Change a recruiter (only the fields sent; city_ids replaces the cities)",
    responses={**error_responses(403, 404, 409, 412), **etag_documented()},
)
async def update_recruiter(
    _: AdminDep,
    recruiter_id: PathId,
    body: RecruiterUpdate,
    uows: UowFactoryDep,
    if_match: IfMatchHeader = None,
) -> Response:
    expected = precondition(if_match, recruiter_dict)
    cmd = service.UpdateRecruiter(recruiter_id, body.changes(), expected)
    return tagged_response(recruiter_dict(unwrap(await service.update_recruiter(uows, cmd))))


@router.delete(
    "/{recruiter_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a recruiter and its slots (409 while it has active bookings)",
    responses=error_responses(403, 404, 409, 412),
)
async def delete_recruiter(
    _: AdminDep, recruiter_id: PathId, uows: UowFactoryDep, if_match: IfMatchHeader = None
) -> Response:
    cmd = service.DeleteRecruiter(recruiter_id, precondition(if_match, recruiter_dict))
    unwrap(await service.delete_recruiter(uows, cmd))
    return Response(status_code=204)
