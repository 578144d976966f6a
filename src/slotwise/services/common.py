"""What every use case shares: how a transaction ends, and domain exceptions as values."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

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
E = TypeVar("E")

#: What the client expects the row it changes to be (HTTP ``If-Match``, as the API renders
#: the row): decided on the row-locked, freshly read entity inside the write transaction, so
#: no concurrent write can slip between the check and the change. None: no expectation.
Precondition: TypeAlias = Callable[[E], bool] | None


@dataclass(frozen=True, slots=True)
class PreconditionFailedError(ConflictError):
    """The row is no longer what the client's precondition names (someone changed it since
    the client read it): a ConflictError that the HTTP edge maps to 412."""


def check_precondition(
    precondition: Precondition[E], entity: E, entity_type: str
) -> Failure[Error] | None:
    """A failure when ``entity`` (read row-locked) does not meet ``precondition``."""
    if precondition is None or precondition(entity):
        return None
    return Failure(
        PreconditionFailedError(
            entity_type,
            f"the {entity_type.lower()} has changed since the version If-Match names; "
            "read it again",
            "If-Match",
        )
    )


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
