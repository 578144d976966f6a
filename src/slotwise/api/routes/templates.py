"""/api/templates: list, get and resolve (any role), create, change and delete (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

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
from slotwise.api.render import template_dict
from slotwise.api.schemas import Page, TemplateCreate, TemplateOut, TemplateUpdate
from slotwise.services import templates as service

router = APIRouter(
    prefix="/api/templates", tags=["templates"], responses=error_responses(401, 413, 422, 503)
)

Key = Annotated[str, Query(min_length=1, max_length=50, pattern=r"^[^\x00]*$")]


@router.get("", response_model=Page[TemplateOut], summary="List templates")
async def list_templates(
    _: AnyRoleDep,
    uow: UowDep,
    city_id: QueryId = None,
    key: Annotated[str | None, Query(min_length=1, max_length=50, pattern=r"^[^\x00]*$")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[TemplateOut]:
    page = unwrap(await uow.templates.list(city_id=city_id, key=key, limit=limit, offset=offset))
    return Page(
        items=[TemplateOut.of(t) for t in page.items], total=page.total, limit=limit, offset=offset
    )


@router.get(
    "/resolve",
    response_model=TemplateOut,
    summary="The city's template for a key, else the global one (with its ETag)",
    responses={**error_responses(404), **etag_documented()},
)
async def resolve_template(
    _: AnyRoleDep, uow: UowDep, key: Key, city_id: QueryId = None
) -> Response:
    return tagged_response(template_dict(unwrap(await uow.templates.resolve(city_id, key))))


@router.get(
    "/{template_id}",
    response_model=TemplateOut,
    summary="One template (with its ETag)",
    responses={**error_responses(404), **etag_documented()},
)
async def get_template(_: AnyRoleDep, template_id: PathId, uow: UowDep) -> Response:
    return tagged_response(template_dict(unwrap(await uow.templates.get(template_id))))


@router.post(
    "",
    response_model=TemplateOut,
    status_code=201,
    summary="Create a template (city_id null = global)",
    responses={**error_responses(403, 409), **etag_documented(201)},
)
async def create_template(_: AdminDep, body: TemplateCreate, uows: UowFactoryDep) -> Response:
    cmd = service.CreateTemplate(key=body.key, text=body.text, city_id=body.city_id)
    return tagged_response(template_dict(unwrap(await service.create_template(uows, cmd))), 201)


@router.patch(
    "/{template_id}",
    response_model=TemplateOut,
    summary="Change a template (only the fields sent)",
    responses={**error_responses(403, 404, 409, 412), **etag_documented()},
)
async def update_template(
    _: AdminDep,
    template_id: PathId,
    body: TemplateUpdate,
    uows: UowFactoryDep,
    if_match: IfMatchHeader = None,
) -> Response:
    expected = precondition(if_match, template_dict)
    cmd = service.UpdateTemplate(template_id, body.changes(), expected)
    return tagged_response(template_dict(unwrap(await service.update_template(uows, cmd))))


@router.delete(
    "/{template_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a template",
    responses=error_responses(403, 404, 412),
)
async def delete_template(
    _: AdminDep, template_id: PathId, uows: UowFactoryDep, if_match: IfMatchHeader = None
) -> Response:
    cmd = service.DeleteTemplate(template_id, precondition(if_match, template_dict))
    unwrap(await service.delete_template(uows, cmd))
    return Response(status_code=204)
