"""``slotwise.core.result``: the foundations' path to ``Result`` and the errors."""

from slotwise.result import (
    ConflictError,
    DatabaseError,
    Error,
    Failure,
    InvalidTransitionError,
    NotFoundError,
    Result,
    Success,
    UnwrapError,
    ValidationError,
    collect_results,
    failure,
    success,
)

__all__ = [
    "ConflictError",
    "DatabaseError",
    "Error",
    "Failure",
    "InvalidTransitionError",
    "NotFoundError",
    "Result",
    "Success",
    "UnwrapError",
    "ValidationError",
    "collect_results",
    "failure",
    "success",
]
