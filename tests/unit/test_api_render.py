"""The hand-rendered read responses (``slotwise.api.render``) are byte for byte what the
pydantic response models would have produced, so OpenAPI (from the models) stays true."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from slotwise.api.render import json_response, page_dict, recruiter_dict, slot_dict
from slotwise.api.schemas import Page, RecruiterOut, SlotOut
from slotwise.domain.models import City, Recruiter, Slot, SlotStatus

INT64_MAX = 2**63 - 1


def _recruiter(**overrides: object) -> Recruiter:
    fields: dict[str, object] = {
        "id": 7,
        "name": "Анна «Ivanova» 🙂",
        "telegram_chat_id": -INT64_MAX,
        "timezone": "Europe/Moscow",
        "active": True,
        "meeting_url": "https://meet.example.com/a?b=c&d=e",
        "cities": [City(id=3, name="Omsk", timezone="Asia/Omsk"), City(id=1, name="Moscow")],
    }
    fields.update(overrides)
    return Recruiter(**fields)


def _slot(start: datetime, **overrides: object) -> Slot:
    fields: dict[str, object] = {
        "id": INT64_MAX,
        "recruiter_id": 7,
        "city_id": 3,
        "start_utc": start,
        "duration_min": 45,
        "status": SlotStatus.PENDING,
        "candidate_telegram_id": INT64_MAX - 1,
        "candidate_name": 'Quote " and \\ backslash',
        "candidate_timezone": "America/New_York",
        "recruiter": _recruiter(),
        "city": City(id=3, name="Omsk", timezone="Asia/Omsk"),
    }
    fields.update(overrides)
    return Slot(**fields)


STARTS = [
    datetime(2030, 1, 7, 9, 0, tzinfo=UTC),
    datetime(2030, 1, 7, 9, 0, 0, 123000, tzinfo=UTC),
    datetime(2030, 1, 7, 9, 0, 0, 1, tzinfo=UTC),
    datetime(2030, 1, 7, 12, 0, tzinfo=timezone(timedelta(hours=3))),
]


@pytest.mark.parametrize("start", STARTS)
def test_a_slot_renders_as_slot_out(start: datetime) -> None:
    slot = _slot(start)
    assert json_response(slot_dict(slot)).body == SlotOut.of(slot).model_dump_json().encode()


@pytest.mark.parametrize(
    "overrides",
    [
        {"candidate_telegram_id": None, "candidate_name": None, "candidate_timezone": None},
        {"city": None, "city_id": None},
        {"status": "free"},
        {"status": SlotStatus.CONFIRMED_BY_CANDIDATE},
    ],
)
def test_optional_parts_of_a_slot_render_as_slot_out(overrides: dict[str, object]) -> None:
    slot = _slot(STARTS[0], **overrides)
    assert json_response(slot_dict(slot)).body == SlotOut.of(slot).model_dump_json().encode()


@pytest.mark.parametrize(
    "overrides", [{}, {"telegram_chat_id": None, "meeting_url": None, "cities": []}]
)
def test_a_recruiter_renders_as_recruiter_out(overrides: dict[str, object]) -> None:
    recruiter = _recruiter(**overrides)
    rendered = json_response(recruiter_dict(recruiter)).body
    assert rendered == RecruiterOut.of(recruiter).model_dump_json().encode()


def test_a_page_renders_as_page() -> None:
    slots = [_slot(start) for start in STARTS]
    rendered = json_response(page_dict((slot_dict(s) for s in slots), 40, 4, 8))
    model = Page[SlotOut](items=[SlotOut.of(s) for s in slots], total=40, limit=4, offset=8)
    assert rendered.body == model.model_dump_json().encode()
    assert rendered.headers["content-type"] == "application/json"
