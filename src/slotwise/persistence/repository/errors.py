"""Turning database exceptions into the data layer's error values.

Messages never include SQL parameter values: they name the constraint that was hit, which is
what a client can act on.
"""

from __future__ import annotations

import re

from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm.exc import StaleDataError

from slotwise.persistence.schema.triggers import OVERLAP_ERROR_MARKERS
from slotwise.result import ConflictError, DatabaseError, Error, ValidationError

# Exceptions a repository turns into Failure instead of letting them escape.
DB_EXCEPTIONS: tuple[type[BaseException], ...] = (SQLAlchemyError, OSError, TimeoutError)

# constraint / index name fragment -> (field, message)
_KNOWN_CONSTRAINTS: tuple[tuple[str, str, str], ...] = (
    *(
        (marker, "start_utc", "slot overlaps another slot of this recruiter")
        for marker in OVERLAP_ERROR_MARKERS
    ),
    (
        "uq_slots_active_candidate_recruiter",
        "candidate_telegram_id",
        "candidate already holds an active slot with this recruiter",
    ),
    (
        "slots.recruiter_id, slots.candidate_telegram_id",  # SQLite names columns, not the index
        "candidate_telegram_id",
        "candidate already holds an active slot with this recruiter",
    ),
    ("uq_cities_name", "name", "a city with this name already exists"),
    ("cities.name", "name", "a city with this name already exists"),
    (
        "uq_recruiters_telegram_chat_id",
        "telegram_chat_id",
        "a recruiter with this telegram_chat_id already exists",
    ),
    (
        "recruiters.telegram_chat_id",
        "telegram_chat_id",
        "a recruiter with this telegram_chat_id already exists",
    ),
    ("uq_users_telegram_id", "telegram_id", "a candidate with this telegram_id already exists"),
    ("users.telegram_id", "telegram_id", "a candidate with this telegram_id already exists"),
    ("uq_templates_city_key", "key", "a template with this key already exists for the city"),
    ("uq_templates_global_key", "key", "a global template with this key already exists"),
    ("templates.city_id, templates.key", "key", "a template with this key already exists"),
    ("templates.key", "key", "a global template with this key already exists"),
    ("duration_range", "duration_min", "duration_min must be between 10 and 480"),
    ("name_not_empty", "name", "name must not be empty"),
    ("key_not_empty", "key", "key must not be empty"),
)

# PostgreSQL SQLSTATEs that mean "another transaction got there first": the client may retry.
_CONCURRENCY_SQLSTATES: dict[str, str] = {
    "40001": "the request conflicted with a concurrent change; retry",  # serialization_failure
    "40P01": "the request conflicted with a concurrent change; retry",  # deadlock_detected
    "55P03": "the row is locked by another request; retry",  # lock_not_available
}

_FK_RE = re.compile(r"foreign key", re.IGNORECASE)


def _detail(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc)


def _sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a driver error (asyncpg exposes it on the error or its cause)."""
    for candidate in (getattr(exc, "orig", None), exc):
        while candidate is not None:
            code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
            if isinstance(code, str):
                return code
            candidate = candidate.__cause__
    return None


def classify(entity_type: str, operation: str, exc: BaseException) -> Error:
    """Map an exception from SQLAlchemy / the driver to an Error value."""
    if isinstance(exc, StaleDataError):
        return ConflictError(
            entity_type, f"{entity_type} was changed or removed by another request", "version"
        )
    if isinstance(exc, IntegrityError):
        detail = _detail(exc)
        for fragment, field, message in _KNOWN_CONSTRAINTS:
            if fragment in detail:
                return ConflictError(entity_type, message, field)
        if _FK_RE.search(detail):
            return ConflictError(entity_type, "a referenced entity does not exist", None)
        return ConflictError(entity_type, f"{entity_type} violates a database constraint")
    if isinstance(exc, DataError):
        return ValidationError("value", "a value is out of range or malformed for the database")
    sqlstate = _sqlstate(exc)
    if sqlstate in _CONCURRENCY_SQLSTATES:
        return ConflictError(entity_type, _CONCURRENCY_SQLSTATES[sqlstate])
    if isinstance(exc, OperationalError) and "locked" in _detail(exc):
        return ConflictError(entity_type, "the database is busy with a conflicting write; retry")
    if isinstance(exc, DBAPIError | SQLAlchemyError | OSError | TimeoutError):
        return DatabaseError(operation, "the database is unavailable", exc)
    return DatabaseError(operation, type(exc).__name__, exc)
