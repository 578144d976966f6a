"""Result and the errors, as FOUNDATIONS.md specifies them."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slotwise.result import (
    ConflictError,
    DatabaseError,
    Failure,
    NotFoundError,
    Success,
    UnwrapError,
    ValidationError,
    collect_results,
    failure,
    success,
)


def describe(result: Success[int] | Failure[NotFoundError | ValidationError]) -> str:
    match result:
        case Success(value):
            return f"ok {value}"
        case Failure(NotFoundError() as e):
            return f"missing {e.entity_id}"
        case Failure(error):
            return f"other {type(error).__name__}"
    return "unreachable"


def test_match_on_success_and_failures() -> None:
    assert describe(Success(3)) == "ok 3"
    assert describe(Failure(NotFoundError("Recruiter", 7))) == "missing 7"
    assert describe(Failure(ValidationError("name", "empty"))) == "other ValidationError"


def test_success_api() -> None:
    r = success(2)
    assert r.is_success() and not r.is_failure()
    assert r.unwrap() == 2
    assert r.unwrap_or(5) == 2
    assert r.map(lambda v: v * 10) == Success(20)
    assert r.flat_map(lambda v: Success(v + 1)) == Success(3)
    assert r.flat_map(lambda v: Failure(ValidationError("x", "bad"))).is_failure()


def test_failure_api() -> None:
    err = NotFoundError("Slot", 1)
    r = failure(err)
    assert r.is_failure() and not r.is_success()
    with pytest.raises(UnwrapError):
        r.unwrap()
    assert r.unwrap_or(9) == 9
    assert r.map(lambda v: v) is r
    assert r.flat_map(lambda v: Success(v)) is r


def test_results_and_errors_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Success(1).value = 2  # type: ignore[misc]
    for error in (
        NotFoundError("City", 1),
        ValidationError("timezone", "unknown", "Mars/Base"),
        DatabaseError("get", "down"),
        ConflictError("City", "name taken", "name"),
    ):
        with pytest.raises(dataclasses.FrozenInstanceError):
            error.message = "x"  # type: ignore[misc]
        assert str(error)


def test_error_fields_in_spec_order() -> None:
    assert NotFoundError("Recruiter", 5).message is None
    assert ValidationError("f", "m").value is None
    assert DatabaseError("op", "m").original_exception is None
    assert ConflictError("E", "m").conflicting_field is None


@given(st.lists(st.integers()))
def test_collect_all_successes(values: list[int]) -> None:
    assert collect_results([Success(v) for v in values]) == Success(values)


@given(st.lists(st.integers(), min_size=1), st.data())
def test_collect_returns_first_failure(values: list[int], data: st.DataObject) -> None:
    results: list[Success[int] | Failure[NotFoundError]] = [Success(v) for v in values]
    first = data.draw(st.integers(0, len(values) - 1))
    results[first] = Failure(NotFoundError("X", "first"))
    results.append(Failure(NotFoundError("X", "later")))
    assert collect_results(results) == Failure(NotFoundError("X", "first"))
