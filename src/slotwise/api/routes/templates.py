"""/api/templates: list and resolve (any role), create, change and delete (admin)."""

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
    summary="The city's template for a key, else the global one",
    responses=error_responses(404),
)
async def resolve_template(
    _: AnyRoleDep, uow: UowDep, key: Key, city_id: QueryId = None
) -> TemplateOut:
    return TemplateOut.of(unwrap(await uow.templates.resolve(city_id, key)))


@router.post(
    "",
    response_model=TemplateOut,
    status_code=201,
    summary="Create a template (city_id null = global)",
    responses=error_responses(403, 409),
)
async def create_template(_: AdminDep, body: TemplateCreate, uows: UowFactoryDep) -> TemplateOut:
    cmd = service.CreateTemplate(key=body.key, text=body.text, city_id=body.city_id)
    return TemplateOut.of(unwrap(await service.create_template(uows, cmd)))


@router.patch(
    "/{template_id}",
    response_model=TemplateOut,
    summary="Change a template (only the fields sent)",
    responses=error_responses(403, 404, 409),
)
async def update_template(
    _: AdminDep, template_id: PathId, body: TemplateUpdate, uows: UowFactoryDep
) -> TemplateOut:
    updated = await service.update_template(
        uows, service.UpdateTemplate(template_id, body.changes())
    )
    return TemplateOut.of(unwrap(updated))


@router.delete(
    "/{template_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a template",
    responses=error_responses(403, 404),
)
async def delete_template(_: AdminDep, template_id: PathId, uows: UowFactoryDep) -> Response:
    unwrap(await service.delete_template(uows, service.DeleteTemplate(template_id)))
    return Response(status_code=204)
