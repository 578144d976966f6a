"""Driver errors become error values: concurrency failures are conflicts, not outages."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError, OperationalError

from slotwise.persistence.repository.errors import classify
from slotwise.result import ConflictError, DatabaseError


class FakeDriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"driver error {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize("sqlstate", ["40001", "40P01", "55P03"])
def test_concurrency_sqlstates_are_conflicts(sqlstate: str) -> None:
    exc = DBAPIError("SELECT 1", None, FakeDriverError(sqlstate))
    error = classify("Slot", "book", exc)
    assert isinstance(error, ConflictError)
    assert "retry" in error.message


def test_sqlstate_found_on_the_cause() -> None:
    inner = FakeDriverError("40P01")
    outer = RuntimeError("wrapped")
    outer.__cause__ = inner
    error = classify("Slot", "book", OperationalError("SELECT 1", None, outer))
    assert isinstance(error, ConflictError)


def test_other_operational_errors_are_outages() -> None:
    error = classify("Slot", "get", OperationalError("SELECT 1", None, FakeDriverError("08006")))
    assert isinstance(error, DatabaseError)
    assert error.message == "the database is unavailable"
