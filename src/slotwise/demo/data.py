"""What the demo data set holds: cities, recruiter names, message templates, and a
recruiter's working-hours slots (a few booked, approved or canceled, as in life)."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from slotwise.domain.models import City, Recruiter, Slot

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


def recruiter_names(count: int) -> list[str]:
    return [f"{FIRST[i % len(FIRST)]} {LAST[(i * 3) % len(LAST)]} #{i + 1}" for i in range(count)]


def new_recruiter(index: int, name: str, cities: list[City]) -> Recruiter:
    """The ``index``-th demo recruiter: at home in one city, every third one in two."""
    home = cities[index % len(cities)]
    extra = cities[(index + 2) % len(cities)]
    return Recruiter(
        name=name,
        timezone=home.timezone,
        active=index % 9 != 8,  # a couple of inactive recruiters, as in life
        telegram_chat_id=100_000 + index,
        meeting_url=f"https://meet.example.com/{index + 1}",
        cities=[home, extra] if index % 3 == 0 else [home],
    )


def slot_starts(tz_name: str, first_day: date, days: int, rng: random.Random) -> list[datetime]:
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


def demo_slots(
    recruiter: Recruiter, city: City, first_day: date, days: int, rng: random.Random
) -> list[Slot]:
    slots: list[Slot] = []
    for start in slot_starts(city.timezone, first_day, days, rng):
        slot = Slot(
            recruiter_id=recruiter.id,
            city_id=city.id,
            start_utc=start,
            duration_min=rng.choice((30, 45, 60)),
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
