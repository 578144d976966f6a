"""Key escaping, namespaces and patterns: what keeps a crafted value inside its segment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slotwise.cache.keys import CacheTTL, check_key, check_pattern, covers, escape, namespaces
from slotwise.repositories.cache_keys import CacheKeys


@given(st.text(max_size=40))
def test_an_escaped_value_is_one_segment_without_wildcards(value: str) -> None:
    segment = escape(value)
    assert ":" not in segment and "*" not in segment and "{" not in segment
    assert segment != "~" and len(segment) <= 120


@given(st.text(max_size=30), st.text(max_size=30))
def test_escaping_keeps_distinct_values_distinct(a: str, b: str) -> None:
    assert (escape(a) == escape(b)) == (a == b)


def test_none_bool_int_and_strings_do_not_collide() -> None:
    assert len({escape(None), escape("~"), escape("None"), escape(True), escape("1")}) == 5


def test_datetimes_are_one_instant_one_key_and_naive_ones_are_refused() -> None:
    utc = datetime(2031, 1, 1, 9, tzinfo=UTC)
    plus2 = utc.astimezone(timezone(timedelta(hours=2)))
    assert escape(utc) == escape(plus2)
    with pytest.raises(ValueError):
        escape(datetime(2031, 1, 1, 9))


def test_long_values_are_hashed() -> None:
    assert escape("x" * 500) != escape("x" * 501)
    assert len(escape("x" * 500)) <= 120


def test_document_key_patterns() -> None:
    assert CacheKeys.recruiter(5) == "recruiter:5"
    assert CacheKeys.city(3) == "city:3"
    assert CacheKeys.slot(7) == "slot:7"
    assert CacheKeys.user(1) == "user:1"
    assert CacheKeys.user_by_telegram(42) == "user:telegram:42"
    assert CacheKeys.recruiters_active() == "recruiters:active"
    assert CacheKeys.cities_active() == "cities:active"
    assert CacheKeys.recruiters_for_city(3) == "recruiters:city:3"
    assert CacheKeys.templates_for_city(3) == "templates:city:3"
    assert CacheKeys.slots_free_for_recruiter(4, datetime(2031, 1, 1, tzinfo=UTC)).startswith(
        "slots:free:recruiter:4:after:"
    )
    assert (CacheTTL.SHORT, CacheTTL.MEDIUM, CacheTTL.LONG, CacheTTL.VERY_LONG) == (
        300, 1800, 7200, 86400,
    )  # fmt: skip


def test_free_slot_keys_differ_by_after_and_share_the_recruiter_pattern() -> None:
    one = CacheKeys.slots_free_for_recruiter(4, datetime(2031, 1, 1, tzinfo=UTC))
    two = CacheKeys.slots_free_for_recruiter(4, datetime(2031, 1, 2, tzinfo=UTC))
    assert one != two
    pattern = CacheKeys.slots_free_pattern(4)
    assert covers(pattern, one) and covers(pattern, two)
    assert not covers(CacheKeys.slots_free_pattern(40), one)


def test_namespaces_and_covers() -> None:
    assert namespaces("slots:free:recruiter:3") == ["slots", "slots:free", "slots:free:recruiter"]
    assert namespaces("recruiters") == []
    assert covers("recruiters:*", "recruiters:city:3")
    assert not covers("recruiters:*", "recruiter:3")
    assert covers("*", "anything:1")
    assert covers("recruiter:3", "recruiter:3") and not covers("recruiter:3", "recruiter:30")


@pytest.mark.parametrize("bad", ["recruit*", "*:x", "a:*:b", ":*", "a::*", "a*b:*"])
def test_patterns_that_need_a_scan_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        check_pattern(bad)


@pytest.mark.parametrize("bad", ["", "a:*", "a::b", ":a", "a:"])
def test_malformed_keys_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        check_key(bad)
