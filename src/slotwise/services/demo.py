"""Demo data: a realistic small recruiting team, so a newcomer has something to book.

Idempotent: cities, recruiters and templates are matched by name/key, and slots are only
created for recruiters that have none yet, so running ``slotwise seed --demo`` twice changes
nothing the second time.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from slotwise.domain.models import City, Recruiter, Slot, SlotStatus, Template
from slotwise.repositories import UnitOfWork

CITIES: tuple[tuple[str, str], ...] = (
    ("Moscow", "Europe/Moscow"),
    ("Novosibirsk", "Asia/Novosibirsk"),
    ("Yekaterinburg", "Asia/Yekaterinburg"),
    ("Berlin", "Europe/Berlin"),
    ("New York", "America/New_York"),
    ("Tokyo", "Asia/Tokyo"),
)

FIRST = ("Anna", "Boris", "Clara", "Dmitry", "Elena", "Farid", "Galina", "Hiro", "Irina", "Jonas")
LAST = ("Ivanova", "Petrov", "Schmidt", "Sato", "Miller", "Kuznetsova", "Novak", "Orlov")

# Unique candidate ids, so no candidate holds two active slots of one recruiter.
_CANDIDATE_IDS = itertools.count(700_000_001)

GLOBAL_TEMPLATES: dict[str, str] = {
    "booking_received": "Thanks, {name}! Your request for {time} is with the recruiter.",
    "booking_approved": "Your interview on {time} is confirmed. Link: {meeting_url}",
    "reminder": "Reminder: your interview starts at {time}.",
    "canceled": "Sorry, the interview on {time} was canceled. Please pick another slot.",
}
CITY_TEMPLATES: dict[tuple[str, str], str] = {
    ("Moscow", "reminder"): "Напоминание: собеседование в {time} (Москва).",
    ("Berlin", "reminder"): "Erinnerung: Ihr Gespräch beginnt um {time}.",
    ("Tokyo", "booking_received"): "{name}様、{time}のご予約を受け付けました。",
}


@dataclass(frozen=True)
class SeedReport:
    cities: int
    recruiters: int
    slots: int
    templates: int


def _recruiter_names(count: int) -> list[str]:
    return [f"{FIRST[i % len(FIRST)]} {LAST[(i * 3) % len(LAST)]} #{i + 1}" for i in range(count)]


def _slot_starts(tz_name: str, first_day: date, days: int, rng: random.Random) -> list[datetime]:
    """Working-hours slots (09:00-17:00 local, hourly, weekdays), a few hours left out."""
    tz = ZoneInfo(tz_name)
    starts: list[datetime] = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for hour in range(9, 18):
            if rng.random() < 0.15:  # lunch, meetings: not every hour is open
                continue
            local = datetime.combine(day, time(hour), tzinfo=tz)
            starts.append(local.astimezone(UTC))
    return starts


async def seed_demo(
    *,
    recruiters: int = 20,
    days: int = 21,
    seed: int = 42,
    progress: Callable[[int], None] | None = None,
) -> SeedReport:
    """Create the demo data set; ``progress(n)`` is told about every recruiter done."""
    rng = random.Random(seed)
    created = SeedReport(0, 0, 0, 0)
    async with UnitOfWork() as uow:
        session = uow.session
        existing = {c.name: c for c in (await session.scalars(select(City))).all()}
        cities: list[City] = []
        for name, tz in CITIES:
            city = existing.get(name)
            if city is None:
                city = City(name=name, timezone=tz, active=True)
                session.add(city)
                created = _bump(created, cities=1)
            cities.append(city)
        await session.flush()

        have_templates = {
            (t.city_id, t.key) for t in (await session.scalars(select(Template))).all()
        }
        for key, text in GLOBAL_TEMPLATES.items():
            if (None, key) not in have_templates:
                session.add(Template(city_id=None, key=key, text=text))
                created = _bump(created, templates=1)
        by_name = {c.name: c for c in cities}
        for (city_name, key), text in CITY_TEMPLATES.items():
            city_id = by_name[city_name].id
            if (city_id, key) not in have_templates:
                session.add(Template(city_id=city_id, key=key, text=text))
                created = _bump(created, templates=1)

        known = {r.name: r for r in (await session.scalars(select(Recruiter))).all()}
        first_day = datetime.now(UTC).date() + timedelta(days=1)
        for index, name in enumerate(_recruiter_names(recruiters)):
            home = cities[index % len(cities)]
            recruiter = known.get(name)
            if recruiter is None:
                extra = cities[(index + 2) % len(cities)]
                recruiter = Recruiter(
                    name=name,
                    timezone=home.timezone,
                    active=index % 9 != 8,  # a couple of inactive recruiters, as in life
                    telegram_chat_id=100_000 + index,
                    meeting_url=f"https://meet.example.com/{index + 1}",
                    cities=[home, extra] if index % 3 == 0 else [home],
                )
                session.add(recruiter)
                await session.flush()
                created = _bump(created, recruiters=1)
            has_slots = await session.scalar(
                select(func.count()).select_from(Slot).where(Slot.recruiter_id == recruiter.id)
            )
            if not has_slots:
                slots = _demo_slots(recruiter, home, first_day, days, rng)
                session.add_all(slots)
                await session.flush()
                created = _bump(created, slots=len(slots))
            if progress is not None:
                progress(1)
        await uow.commit()
    return created


def _demo_slots(
    recruiter: Recruiter, city: City, first_day: date, days: int, rng: random.Random
) -> list[Slot]:
    slots: list[Slot] = []
    for start in _slot_starts(city.timezone, first_day, days, rng):
        slot = Slot(
            recruiter_id=recruiter.id,
            city_id=city.id,
            start_utc=start,
            duration_min=rng.choice((30, 45, 60)),
            status=SlotStatus.FREE,
        )
        roll = rng.random()
        if roll < 0.12:
            # At most one active slot per candidate and recruiter: ids are unique per slot.
            candidate = next(_CANDIDATE_IDS)
            slot.book(candidate, f"Candidate {candidate % 10_000}")
            if roll < 0.06:
                slot.approve()
        elif roll < 0.14:
            slot.cancel()
        slots.append(slot)
    return slots


def _bump(report: SeedReport, **delta: int) -> SeedReport:
    values = {k: getattr(report, k) + delta.get(k, 0) for k in report.__dataclass_fields__}
    return SeedReport(**values)
