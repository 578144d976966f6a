"""The fast path reads only the canonical spelling of a ``GET /api/slots`` query; everything
else is None (FastAPI then answers, 422 included)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.routing import APIRoute

from slotwise.api.fast_query import (
    SLOT_LIST_PARAMS,
    canonical_datetime,
    canonical_int,
    query_params,
    slot_list_query,
)
from slotwise.api.routes import slots
from slotwise.domain.models import SlotStatus


def test_the_parameters_are_list_slots_own() -> None:
    (route,) = [
        r
        for r in slots.router.routes
        if isinstance(r, APIRoute) and r.path == "/api/slots" and r.methods == {"GET"}
    ]
    assert {p.alias for p in route.dependant.query_params} == SLOT_LIST_PARAMS


def test_integers_have_one_spelling_and_a_range() -> None:
    assert canonical_int("42", 1) == 42
    assert canonical_int("0", 0) == 0
    assert canonical_int("9223372036854775807", 1) == 2**63 - 1
    for text in ("042", "+42", "-1", "4_2", " 42", "42 ", "4.0", "", "0x1", "١٢"):
        assert canonical_int(text, 0) is None, text
    assert canonical_int("0", 1) is None
    assert canonical_int("9223372036854775808", 1) is None
    assert canonical_int("501", 1, 500) is None
    assert canonical_int(None, 0) is None


def test_datetimes_are_strict_iso_with_an_offset_in_the_api_range() -> None:
    assert canonical_datetime("2030-01-07T09:00:00Z") == datetime(2030, 1, 7, 9, tzinfo=UTC)
    plus_two = canonical_datetime("2030-01-07T11:00:00.5+02:00")
    assert plus_two == datetime(2030, 1, 7, 9, 0, 0, 500000, tzinfo=UTC)
    assert plus_two is not None and plus_two.utcoffset() == timedelta(hours=2)
    assert canonical_datetime("1970-01-01T00:00:00Z") == datetime(1970, 1, 1, tzinfo=UTC)
    for text in (
        "2030-01-07T09:00:00",  # naive
        "2030-01-07 09:00:00Z",
        "2030-01-07t09:00:00z",
        "2030-01-07",
        "2030-02-30T09:00:00Z",
        "2030-01-07T09:00:00.1234567Z",
        "2030-01-07T09:00:00+0200",
        "1969-12-31T23:59:59Z",
        "9000-01-01T00:00:00Z",
        "8999-12-31T23:00:00-01:00",  # 9000-01-01T00:00Z: out of range as an instant
    ):
        assert canonical_datetime(text) is None, text
    assert canonical_datetime("8999-12-31T22:59:59-01:00") is not None
    assert UTC is UTC


def test_a_repeated_key_is_not_ours_to_decide() -> None:
    assert query_params(b"a=1&a=2") is None
    assert query_params(b"a=1&b=") == {"a": "1", "b": ""}
    assert query_params(b"") == {}
    assert slot_list_query(b"recruiter_id=1&recruiter_id=1") is None


def test_a_query_becomes_filters_and_a_page() -> None:
    query = slot_list_query(
        b"recruiter_id=3&city_id=4&status=free&start_from=2030-01-07T09:00:00Z"
        b"&limit=5&offset=10&utm=x"
    )
    assert query is not None
    assert (query.limit, query.offset) == (5, 10)
    assert query.filters.recruiter_id == 3 and query.filters.city_id == 4
    assert query.filters.status is SlotStatus.FREE
    assert query.filters.start_from == datetime(2030, 1, 7, 9, tzinfo=UTC)
    assert query.filters.start_to is None
    default = slot_list_query(b"")
    assert default is not None and (default.limit, default.offset) == (100, 0)
    for bad in (b"status=FREE", b"limit=0", b"limit=501", b"offset=-1", b"city_id=",
                b"start_to=2030-01-07T09:00:00", b"recruiter_id=0"):  # fmt: skip
        assert slot_list_query(bad) is None, bad


def test_a_querys_key_is_the_same_whether_remembered_or_not() -> None:
    from slotwise.api.fast_path import slots_key

    short = slots_key(b"recruiter_id=3&status=free", True)
    long = slots_key(b"recruiter_id=3&status=free&pad=" + b"x" * 400, True)
    assert short is not None and short == long
    assert slots_key(b"recruiter_id=3&status=free", False) != short  # the bot's view
    assert slots_key(b"recruiter_id=03", True) is None
    assert slots_key(b"recruiter_id=03&pad=" + b"x" * 400, True) is None
