"""Small builders for the foundation's integration tests: entities saved through repositories.

Everything goes through a repository's ``add`` (as services must), so the builders exercise the
code under test; each returns the saved entity or fails the test with the Failure it got.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from slotwise.domain.models import City, Recruiter, Slot, SlotStatus, Template, User
from slotwise.repositories import UnitOfWork
from slotwise.result import Failure, Result, Success

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

#: A fixed Monday far in the future: "upcoming" stays upcoming whenever the tests run.
T0 = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)


class _Valued(Protocol[T_co]):
    """A Success seen read-only, so covariant: ``list(ok(r))`` may ask for an Iterable."""

    @property
    def value(self) -> T_co: ...


def ok(result: _Valued[T] | Failure[Any]) -> T:
    """The value of a Success; a Failure fails the test with its error."""
    if isinstance(result, Failure):
        raise AssertionError(f"expected Success, got {result!r}")
    valued: _Valued[T] = result  # before isinstance() widens T to Any
    assert isinstance(result, Success)
    return valued.value


def error(result: Result[Any, Any]) -> Any:
    """The error of a Failure; a Success fails the test."""
    assert isinstance(result, Failure), f"expected Failure, got {result!r}"
    return result.error


def at(hours: float = 0, base: datetime = T0) -> datetime:
    return base + timedelta(hours=hours)


async def city(uow: UnitOfWork, name: str = "Moscow", **kw: Any) -> City:
    kw.setdefault("timezone", "Europe/Moscow")
    return ok(await uow.cities.add(City(name=name, **kw)))


async def recruiter(
    uow: UnitOfWork, name: str = "Anna", cities: Sequence[City] = (), **kw: Any
) -> Recruiter:
    kw.setdefault("timezone", "Europe/Moscow")
    return ok(await uow.recruiters.add(Recruiter(name=name, cities=list(cities), **kw)))


async def slot(
    uow: UnitOfWork,
    owner: Recruiter,
    start: datetime = T0,
    *,
    duration: int = 60,
    city_id: int | None = None,
    status: SlotStatus = SlotStatus.FREE,
    candidate: int | None = None,
) -> Slot:
    new = Slot(recruiter_id=owner.id, city_id=city_id, start_utc=start, duration_min=duration)
    if status is not SlotStatus.FREE:
        if status is SlotStatus.CANCELED:
            new.cancel()
        else:
            new.book(candidate if candidate is not None else 1, "Candidate", "UTC")
            if status in (SlotStatus.BOOKED, SlotStatus.CONFIRMED_BY_CANDIDATE):
                new.approve()
            if status is SlotStatus.CONFIRMED_BY_CANDIDATE:
                new.confirm(new.candidate_telegram_id or 0)
    return ok(await uow.slots.add(new))


async def template(uow: UnitOfWork, key: str, text: str, city_id: int | None = None) -> Template:
    return ok(await uow.templates.add(Template(city_id=city_id, key=key, text=text)))


async def user(uow: UnitOfWork, telegram_id: int = 42, name: str = "Ivan", **kw: Any) -> User:
    return ok(await uow.users.add(User(telegram_id=telegram_id, name=name, **kw)))
