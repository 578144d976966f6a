"""Read responses rendered once: entities -> plain dicts -> orjson bytes.

Why: with ``response_model`` FastAPI builds a pydantic model per item, validates it and then
serialises it; for a page of 100 slots that was the largest cost of a request after the data
itself. The hot read routes return ``json_response(...)`` instead; their ``response_model``
stays, so OpenAPI is unchanged, and tests/unit/test_api_render.py pins the bytes produced here
to the pydantic models' own JSON so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from fastapi import Response

from slotwise.domain.models import City, Recruiter, Slot, SlotStatus, Template

_OPTIONS = orjson.OPT_UTC_Z  # "2026-01-02T03:04:05Z", exactly as pydantic writes UTC


def render_json(content: Any) -> bytes:
    """The exact body ``json_response(content)`` sends (cached pages store these bytes)."""
    return orjson.dumps(content, option=_OPTIONS)


class OrjsonResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return render_json(content)


def json_response(content: Any, status_code: int = 200) -> OrjsonResponse:
    return OrjsonResponse(content, status_code=status_code)


def rendered_response(body: bytes | str) -> Response:
    """A body already rendered by ``render_json``: the same bytes and headers as
    ``json_response`` would send for its content."""
    data = body.encode() if isinstance(body, str) else body
    return Response(data, media_type=OrjsonResponse.media_type)


def slot_dict(slot: Slot, *, with_candidate: bool = True) -> dict[str, Any]:
    """A slot as the API shows it (``SlotOut``), field for field and in the same order.

    Without ``with_candidate`` the holder is left out (``candidate`` is null): what a bot token
    sees of slots that are not the asking candidate's own.
    """
    city = slot.city
    recruiter = slot.recruiter
    return {
        "id": slot.id,
        "recruiter_id": slot.recruiter_id,
        "city_id": slot.city_id,
        "start_utc": slot.start_utc,
        "duration_min": slot.duration_min,
        "status": SlotStatus(slot.status).value,
        "candidate": (
            {
                "telegram_id": slot.candidate_telegram_id,
                "name": slot.candidate_name,
                "timezone": slot.candidate_timezone,
            }
            if with_candidate and slot.candidate_telegram_id is not None
            else None
        ),
        "recruiter": {"id": recruiter.id, "name": recruiter.name},
        "city": {"id": city.id, "name": city.name} if city is not None else None,
    }


def recruiter_dict(recruiter: Recruiter) -> dict[str, Any]:
    """A recruiter as the API shows it (``RecruiterOut``), in the same order."""
    return {
        "id": recruiter.id,
        "name": recruiter.name,
        "telegram_chat_id": recruiter.telegram_chat_id,
        "timezone": recruiter.timezone,
        "active": recruiter.active,
        "meeting_url": recruiter.meeting_url,
        "city_ids": sorted(c.id for c in recruiter.cities),
    }


def city_dict(city: City) -> dict[str, Any]:
    """A city as the API shows it (``CityOut``), in the same order."""
    return {
        "id": city.id,
        "name": city.name,
        "timezone": city.timezone,
        "active": city.active,
        "responsible_recruiter_id": city.responsible_recruiter_id,
    }


def template_dict(template: Template) -> dict[str, Any]:
    """A template as the API shows it (``TemplateOut``), in the same order."""
    return {
        "id": template.id,
        "city_id": template.city_id,
        "key": template.key,
        "text": template.text,
    }


def page_dict(
    items: Iterable[dict[str, Any]], total: int, limit: int, offset: int
) -> dict[str, Any]:
    """``Page[...]`` as a dict."""
    return {"items": list(items), "total": total, "limit": limit, "offset": offset}
