"""Entity validation (``problems()``): what the repositories refuse before the database sees it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from slotwise.domain.models import (
    City,
    Invalid,
    Recruiter,
    Slot,
    Template,
    User,
    is_valid_meeting_url,
    is_valid_timezone,
)

AWARE = datetime(2030, 1, 1, 9, tzinfo=UTC)


def fields(problems: list[Invalid]) -> list[str]:
    return [p.field for p in problems]


def slot(**overrides: Any) -> Slot:
    values: dict[str, Any] = {"recruiter_id": 1, "start_utc": AWARE, "duration_min": 60}
    values.update(overrides)
    return Slot(**values)


# --- timezones --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["UTC", "Europe/Moscow", "America/New_York", "Asia/Tokyo"])
def test_known_timezones_are_valid(name: str) -> None:
    assert is_valid_timezone(name)


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "europe/moscow ", "+03:00", None, 3])
def test_unknown_timezones_are_invalid(name: object) -> None:
    assert not is_valid_timezone(name)


def test_city_with_unknown_timezone() -> None:
    problems = City(name="Moscow", timezone="Mars/Olympus").problems()
    assert problems == [Invalid("timezone", problems[0].message, "Mars/Olympus")]


def test_recruiter_with_unknown_timezone() -> None:
    assert fields(Recruiter(name="Ann", timezone="Nowhere/Land").problems()) == ["timezone"]


def test_recruiter_timezone_defaults_to_utc() -> None:
    recruiter = Recruiter(name="Ann")
    assert recruiter.timezone == "UTC"
    assert recruiter.problems() == []


def test_user_timezone_is_optional_but_must_be_known() -> None:
    assert User(telegram_id=1, name="Ann").problems() == []
    assert fields(User(telegram_id=1, name="Ann", timezone="Bad/Zone").problems()) == ["timezone"]


def test_slot_candidate_timezone_must_be_known() -> None:
    assert fields(slot(candidate_timezone="Bad/Zone").problems()) == ["candidate_timezone"]
    assert slot(candidate_timezone="Asia/Tokyo").problems() == []


# --- datetimes --------------------------------------------------------------------------------


def test_naive_start_is_rejected() -> None:
    assert fields(slot(start_utc=datetime(2030, 1, 1, 9)).problems()) == ["start_utc"]


def test_any_offset_is_accepted() -> None:
    plus3 = timezone(timedelta(hours=3))
    assert slot(start_utc=datetime(2030, 1, 1, 12, tzinfo=plus3)).problems() == []


def test_missing_start_is_rejected() -> None:
    assert fields(slot(start_utc=None).problems()) == ["start_utc"]


# --- durations --------------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [10, 11, 60, 479, 480])
def test_duration_in_range_is_accepted(minutes: int) -> None:
    assert slot(duration_min=minutes).problems() == []


@pytest.mark.parametrize("minutes", [9, 481, 0, -30, 10_000])
def test_duration_out_of_range_is_rejected(minutes: int) -> None:
    problems = slot(duration_min=minutes).problems()
    assert fields(problems) == ["duration_min"]
    assert problems[0].value == minutes


@pytest.mark.parametrize("value", [True, 30.0, "30", None])
def test_duration_must_be_an_integer(value: object) -> None:
    assert fields(slot(duration_min=value).problems()) == ["duration_min"]


def test_candidate_name_longer_than_the_column_is_rejected() -> None:
    assert fields(slot(candidate_name="x" * 101).problems()) == ["candidate_name"]
    assert slot(candidate_name="x" * 100).problems() == []


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "limit"),
    [
        (lambda n: City(name=n, timezone="UTC"), 120),
        (lambda n: Recruiter(name=n, timezone="UTC"), 100),
        (lambda n: User(telegram_id=1, name=n), 100),
    ],
    ids=["city", "recruiter", "user"],
)
def test_names_must_be_non_empty_and_short_enough(make: Any, limit: int) -> None:
    assert make("A").problems() == []
    assert make("x" * limit).problems() == []
    for bad in ("", "   ", None):
        assert fields(make(bad).problems()) == ["name"], bad
    too_long = make("x" * (limit + 1)).problems()
    assert fields(too_long) == ["name"]
    assert str(limit) in too_long[0].message


def test_template_key_and_text() -> None:
    assert Template(key="reminder", text="hi").problems() == []
    assert fields(Template(key="", text="hi").problems()) == ["key"]
    assert fields(Template(key="k" * 51, text="hi").problems()) == ["key"]
    assert fields(Template(key="k", text=None).problems()) == ["text"]


def test_several_problems_are_all_reported() -> None:
    assert fields(City(name="", timezone="Bad/Zone").problems()) == ["name", "timezone"]


# --- meeting urls -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["https://meet.example.com/abc", "http://example.org", "https://x.io/a?b=c#d"]
)
def test_http_urls_are_accepted(url: str) -> None:
    assert is_valid_meeting_url(url)
    assert Recruiter(name="Ann", timezone="UTC", meeting_url=url).problems() == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/file",
        "javascript:alert(1)",
        "meet.example.com/abc",
        "https://",
        "https://exa mple.com",
        "",
        "mailto:a@b.c",
    ],
)
def test_other_urls_are_rejected(url: str) -> None:
    assert not is_valid_meeting_url(url)
    assert fields(Recruiter(name="Ann", timezone="UTC", meeting_url=url).problems()) == [
        "meeting_url"
    ]


def test_meeting_url_is_optional() -> None:
    assert Recruiter(name="Ann", timezone="UTC", meeting_url=None).problems() == []


# --- defaults before the first flush ------------------------------------------------------------


def test_scalar_defaults_apply_at_construction() -> None:
    """Validation and transitions run before INSERT, so they must see the column defaults."""
    assert City(name="A", timezone="UTC").active is True
    assert Recruiter(name="A").active is True
    new = slot()
    assert new.status == "free"
    assert new.candidate_telegram_id is None


def test_explicit_values_win_over_defaults() -> None:
    assert City(name="A", timezone="UTC", active=False).active is False
    assert slot(status="canceled").status == "canceled"


def test_unknown_constructor_argument_is_an_error() -> None:
    with pytest.raises(TypeError):
        City(name="A", timezone="UTC", nope=1)
