"""What every use case shares: how a transaction ends, and domain exceptions as values."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from slotwise.core.result import (
    ConflictError,
    Error,
    Failure,
    InvalidTransitionError,
    Result,
    Success,
)
from slotwise.core.uow import UnitOfWork
from slotwise.domain.models import NotHolder, TransitionRejected

T = TypeVar("T")

#: How services open a unit of work (the API passes one bound to its engine).
UowFactory = Callable[[], UnitOfWork]


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
