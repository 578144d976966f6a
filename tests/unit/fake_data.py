"""Committed starting data for the service tests, written straight into a ``FakeDatabase``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from slotwise.domain.models import City, Recruiter, Slot, SlotStatus, Template, User
from tests.unit.fakes import FakeDatabase

#: A Monday morning far enough ahead that no test depends on "now".
T0 = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
HOLDER = 5001
OTHER = 5002


def city(db: FakeDatabase, name: str = "Moscow", timezone: str = "Europe/Moscow") -> City:
    return db.seed(City(name=name, timezone=timezone, active=True))


def recruiter(
    db: FakeDatabase,
    name: str = "Anna Ivanova",
    cities: list[City] | None = None,
    telegram_chat_id: int | None = None,
) -> Recruiter:
    return db.seed(
        Recruiter(
            name=name,
            timezone="Europe/Moscow",
            active=True,
            telegram_chat_id=telegram_chat_id,
            cities=list(cities or []),
        )
    )


def slot(
    db: FakeDatabase,
    owner: Recruiter,
    *,
    hour: int = 0,
    status: SlotStatus = SlotStatus.FREE,
    holder: int = HOLDER,
    in_city: City | None = None,
) -> Slot:
    """A slot ``hour`` hours after T0; an active one is held by ``holder``."""
    made = Slot(
        recruiter_id=owner.id,
        city_id=in_city.id if in_city is not None else None,
        start_utc=T0 + timedelta(hours=hour),
        duration_min=60,
        version=1,
    )
    if status is not SlotStatus.FREE:
        if status is SlotStatus.CANCELED:
            made.cancel()
        else:
            made.book(holder, "Ivan Petrov", "Europe/Berlin")
            if status in (SlotStatus.BOOKED, SlotStatus.CONFIRMED_BY_CANDIDATE):
                made.approve()
            if status is SlotStatus.CONFIRMED_BY_CANDIDATE:
                made.confirm(holder)
    return db.seed(made)


def user(db: FakeDatabase, telegram_id: int = HOLDER, name: str = "Ivan Petrov") -> User:
    return db.seed(User(telegram_id=telegram_id, name=name, timezone="Europe/Berlin"))


def template(db: FakeDatabase, key: str = "reminder", in_city: City | None = None) -> Template:
    city_id = in_city.id if in_city is not None else None
    return db.seed(Template(city_id=city_id, key=key, text="See you at {time}."))
