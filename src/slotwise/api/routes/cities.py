"""/api/cities: list and get (any role), create and change (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from slotwise.api.deps import AdminDep, AnyRoleDep, Limit, Offset, PathId, UowDep, UowFactoryDep
from slotwise.api.errors import error_responses, unwrap
from slotwise.api.etag import IfMatchHeader, etag_documented, precondition, tagged_response
from slotwise.api.render import city_dict
from slotwise.api.schemas import CityCreate, CityOut, CityUpdate, Page
from slotwise.services import cities as service

router = APIRouter(
    prefix="/api/cities", tags=["cities"], responses=error_responses(401, 413, 422, 503)
)


@router.get("", response_model=Page[CityOut], summary="List cities (by name)")
async def list_cities(
    _: AnyRoleDep, uow: UowDep, active: bool | None = None, limit: Limit = 100, offset: Offset = 0
) -> Page[CityOut]:
    page = unwrap(await uow.cities.list(active=active, limit=limit, offset=offset))
    return Page(
        items=[CityOut.of(c) for c in page.items], total=page.total, limit=limit, offset=offset
    )


@router.get(
    "/{city_id}",
    response_model=CityOut,
    summary="One city (with its ETag)",
    responses={**error_responses(404), **etag_documented()},
)
async def get_city(_: AnyRoleDep, city_id: PathId, uow: UowDep) -> Response:
    return tagged_response(city_dict(unwrap(await uow.cities.get(city_id))))


@router.post(
    "",
    response_model=CityOut,
    status_code=201,
    summary="Create a city",
    responses={**error_responses(403, 409), **etag_documented(201)},
)
async def create_city(_: AdminDep, body: CityCreate, uows: UowFactoryDep) -> Response:
    cmd = service.CreateCity(
        name=body.name,
        timezone=body.timezone,
        active=body.active,
        responsible_recruiter_id=body.responsible_recruiter_id,
    )
    return tagged_response(city_dict(unwrap(await service.create_city(uows, cmd))), 201)


@router.patch(
    "/{city_id}",
    response_model=CityOut,
    summary="Change a city (only the fields sent)",
    responses={**error_responses(403, 404, 409, 412), **etag_documented()},
)
async def update_city(
    _: AdminDep,
    city_id: PathId,
    body: CityUpdate,
    uows: UowFactoryDep,
    if_match: IfMatchHeader = None,
) -> Response:
    cmd = service.UpdateCity(city_id, body.changes(), precondition(if_match, city_dict))
    return tagged_response(city_dict(unwrap(await service.update_city(uows, cmd))))
