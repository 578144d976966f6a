"""What every use case shares: how a transaction ends, and domain exceptions as values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from slotwise.domain.models import NotHolder, TransitionRejected
from slotwise.result import (
    ConflictError,
    Error,
    Failure,
    InvalidTransitionError,
    Result,
    Success,
    ValidationError,
)
from slotwise.services.ports import Existence, UnitOfWork

T = TypeVar("T")


async def finish(uow: UnitOfWork, value: T) -> Result[T, Error]:
    """Commit; the use case's value on success, the commit's failure otherwise."""
    committed = await uow.try_commit()
    if isinstance(committed, Failure):
        return committed
    return Success(value)


def rejected(exc: TransitionRejected, action: str | None = None) -> Failure[Error]:
    """A domain transition refusal as the error value the API maps to ``invalid_transition``."""
    return Failure(
        InvalidTransitionError(
            "Slot",
            str(exc),
            "status",
            action=action or exc.action,
            from_status=exc.from_status,
        )
    )


def not_holder(exc: NotHolder) -> Failure[Error]:
    return Failure(ConflictError("Slot", str(exc), "telegram_id"))


async def check_exists(
    repo: Existence, field: str, what: str, ident: int | None, *, value: object = None
) -> Result[None, Error]:
    """A referenced id that does not exist is the client's mistake (422), not a conflict;
    ``None`` (no reference) passes."""
    if ident is None:
        return Success(None)
    found = await repo.exists(ident)
    if isinstance(found, Failure):
        return found
    if not found.value:
        return Failure(ValidationError(field, f"no such {what}: {ident}", value))
    return Success(None)


def apply_changes(entity: object, changes: Mapping[str, Any], allowed: frozenset[str]) -> None:
    """Set the allowed ``changes`` (only the keys given) on ``entity``."""
    for name, value in changes.items():
        if name in allowed:
            setattr(entity, name, value)
