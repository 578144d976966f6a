"""What the use cases need from the data layer, as Protocols: a unit of work and the
repository methods they call, nothing more.

``slotwise.repositories.UnitOfWork`` satisfies ``UnitOfWork`` structurally (no inheritance),
and so does the hand-written fake the unit tests run the services on, so both are type-checked
against the same port.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Protocol, Self, TypeVar

from slotwise.domain.audit import SlotEvent
from slotwise.domain.models import City, Recruiter, Slot, Template, User
from slotwise.result import Error, Result

E = TypeVar("E")


class Existence(Protocol):
    """Enough to check that a referenced id exists."""

    async def exists(self, id: int) -> Result[bool, Error]: ...


class Writes(Existence, Protocol[E]):
    """The generic CRUD every aggregate's repository offers."""

    async def get(self, id: int) -> Result[E, Error]: ...

    async def add(self, entity: E) -> Result[E, Error]: ...

    async def update(self, entity: E) -> Result[E, Error]: ...

    async def delete(self, id: int) -> Result[bool, Error]: ...


class LockedWrites(Writes[E], Protocol[E]):
    """CRUD plus the row-locked read a use case decides on (from the database, not the cache)."""

    async def get_for_update(self, id: int) -> Result[E, Error]: ...


class Cities(LockedWrites[City], Protocol):
    pass


class Templates(LockedWrites[Template], Protocol):
    pass


class Recruiters(LockedWrites[Recruiter], Protocol):
    async def has_active_bookings(self, recruiter_id: int) -> Result[bool, Error]: ...

    async def load_cities(self, city_ids: Sequence[int]) -> Result[Sequence[City], Error]: ...


class Slots(LockedWrites[Slot], Protocol):
    async def lock_many(self, ids: Sequence[int]) -> Result[Sequence[Slot], Error]: ...

    async def lock_for_recruiter(self, recruiter_id: int) -> Result[Sequence[int], Error]: ...


class SlotEvents(Protocol):
    """The audit trail: append-only."""

    async def add(self, entity: SlotEvent) -> Result[SlotEvent, Error]: ...


class Users(Writes[User], Protocol):
    async def load_by_telegram_id(self, telegram_id: int) -> Result[User, Error]: ...


class UnitOfWork(Protocol):
    """One transaction: leaving the block without ``commit()`` rolls back."""

    @property
    def recruiters(self) -> Recruiters: ...

    @property
    def cities(self) -> Cities: ...

    @property
    def slots(self) -> Slots: ...

    @property
    def templates(self) -> Templates: ...

    @property
    def users(self) -> Users: ...

    @property
    def slot_events(self) -> SlotEvents: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    async def try_commit(self) -> Result[None, Error]: ...

    async def rollback(self) -> None: ...


#: How services open a unit of work (the API passes one bound to its engine).
UowFactory = Callable[[], UnitOfWork]
