"""Errors as values: ``Success`` / ``Failure`` and the data layer's error types.

Repositories and services return a ``Result`` instead of raising for data errors, so a caller
has to look at the outcome (``match`` makes that pleasant) and the HTTP edge maps each error
type to one status code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, NoReturn, TypeAlias, TypeVar

T = TypeVar("T")
U = TypeVar("U")
E = TypeVar("E")
F = TypeVar("F")
# Success and Failure are immutable, so they are covariant: a Success[list[Slot]] is a
# Success[Sequence[Slot]], and a Failure[NotFoundError] is a Failure[Error].
T_co = TypeVar("T_co", covariant=True)
E_co = TypeVar("E_co", covariant=True)


class UnwrapError(Exception):
    """Raised by ``Failure.unwrap()``: the caller asserted a success that was not there."""

    def __init__(self, error: object) -> None:
        super().__init__(f"called unwrap() on a Failure: {error!r}")
        self.error = error


@dataclass(frozen=True, slots=True)
class Success(Generic[T_co]):
    value: T_co

    def is_success(self) -> bool:
        return True

    def is_failure(self) -> bool:
        return False

    def unwrap(self) -> T_co:
        return self.value

    def unwrap_or(self, default: object) -> T_co:
        return self.value

    def map(self, f: Callable[[T_co], U]) -> Success[U]:
        return Success(f(self.value))

    def flat_map(self, f: Callable[[T_co], Success[U] | Failure[F]]) -> Success[U] | Failure[F]:
        return f(self.value)


@dataclass(frozen=True, slots=True)
class Failure(Generic[E_co]):
    error: E_co

    def is_success(self) -> bool:
        return False

    def is_failure(self) -> bool:
        return True

    def unwrap(self) -> NoReturn:
        raise UnwrapError(self.error)

    def unwrap_or(self, default: U) -> U:
        return default

    def map(self, f: Callable[[Any], Any]) -> Failure[E_co]:
        return self

    def flat_map(self, f: Callable[[Any], Any]) -> Failure[E_co]:
        return self


Result: TypeAlias = Success[T] | Failure[E]


def success(value: T) -> Success[T]:
    return Success(value)


def failure(error: E) -> Failure[E]:
    return Failure(error)


def collect_results(results: Iterable[Success[T] | Failure[E]]) -> Success[list[T]] | Failure[E]:
    """The first Failure, or a Success holding every value in order."""
    values: list[T] = []
    for result in results:
        if isinstance(result, Failure):
            return result
        values.append(result.value)
    return Success(values)


# --- errors -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NotFoundError:
    entity_type: str
    entity_id: Any
    message: str | None = None

    def __str__(self) -> str:
        return self.message or f"{self.entity_type} {self.entity_id} not found"


@dataclass(frozen=True, slots=True)
class ValidationError:
    field: str
    message: str
    value: Any = None

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True, slots=True)
class DatabaseError:
    operation: str
    message: str
    # Kept for logs and debugging; never compared and never shown to clients.
    original_exception: BaseException | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.operation}: {self.message}"


@dataclass(frozen=True, slots=True)
class ConflictError:
    entity_type: str
    message: str
    conflicting_field: str | None = None

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class InvalidTransitionError(ConflictError):
    """A slot cannot go through this transition from its current status.

    A ConflictError (so code matching on ConflictError still sees it) that the HTTP edge maps
    to the ``invalid_transition`` code.
    """

    action: str = ""
    from_status: str = ""


Error: TypeAlias = NotFoundError | ValidationError | DatabaseError | ConflictError

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
