"""What a 503 logs about its cause: the exception types and the driver's message, never the
statement's SQL or parameter values."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError

from slotwise.api.errors import outage_cause


class DriverDataError(Exception):
    pass


def test_statement_error_is_described_by_its_driver_exception_without_sql() -> None:
    exc = OperationalError(
        "SELECT * FROM slots WHERE candidate_name = $1",
        ("secret-name",),
        ConnectionRefusedError("connection refused by 127.0.0.1:5432"),
    )
    cause = outage_cause(exc)
    assert cause.startswith("OperationalError <- ConnectionRefusedError: connection refused")
    assert "SELECT" not in cause and "secret-name" not in cause


def test_a_quoted_parameter_value_is_cut() -> None:
    orig = DriverDataError(
        "invalid input for query argument $1: datetime.datetime(1, 1, 1) (year 0 is out of range)"
    )
    exc = DBAPIError("SELECT 1 WHERE x = $1", ("v",), orig)
    cause = outage_cause(exc)
    assert "DriverDataError" in cause and "query argument $1: [not logged]" in cause
    assert "datetime.datetime" not in cause


def test_plain_exceptions_keep_their_first_line_only() -> None:
    assert outage_cause(TimeoutError()) == "TimeoutError"
    assert outage_cause(OSError("network down\nsecond line")) == "OSError: network down"
    assert len(outage_cause(OSError("x" * 1000))) < 320
