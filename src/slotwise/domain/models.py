"""The domain: cities, recruiters, slots, candidates, templates, and the slot life cycle.

Pure: no I/O, no SQLAlchemy (``Mapped`` is imported for typing only) and nothing of ours
outside ``slotwise.domain``. The persistence side maps these classes onto tables
(``slotwise.persistence.orm``); the schema there enforces what concurrent writers could race
past (no overlapping slots, one active slot per candidate and recruiter, unique names).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from slotwise.domain.entity import Entity
from slotwise.domain.status import (
    ACTIVE_STATUSES,
    TRANSITIONS,
    NotHolder,
    SlotStatus,
    TransitionRejected,
    next_status,
)
from slotwise.domain.validation import (
    Invalid,
    check_aware,
    check_name,
    check_timezone,
    is_valid_meeting_url,
    is_valid_timezone,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Mapped

__all__ = [
    "ACTIVE_STATUSES",
    "TRANSITIONS",
    "Candidate",
    "City",
    "Entity",
    "Invalid",
    "NotHolder",
    "Recruiter",
    "Slot",
    "SlotStatus",
    "Template",
    "TransitionRejected",
    "User",
    "is_valid_meeting_url",
    "is_valid_timezone",
    "next_status",
]

#: The entities' common base under its former name (``slotwise.persistence.orm.Base`` too).


class City(Entity):
    id: Mapped[int]
    name: Mapped[str]
    timezone: Mapped[str]
    active: Mapped[bool]
    responsible_recruiter_id: Mapped[int | None]

    # Read-only views: writes go through Recruiter.cities and Template.city_id.
    recruiters: Mapped[list[Recruiter]]
    templates: Mapped[list[Template]]

    DEFAULTS: ClassVar[Mapping[str, object]] = {"active": True}
    RELATIONS: ClassVar[frozenset[str]] = frozenset({"recruiters", "templates"})

    def problems(self) -> list[Invalid]:
        found: list[Invalid] = []
        check_name(found, "name", self.name, 120)
        check_timezone(found, "timezone", self.timezone)
        return found

    def __repr__(self) -> str:
        return f"City(id={self.id!r}, name={self.name!r})"


class Recruiter(Entity):
    id: Mapped[int]
    name: Mapped[str]
    telegram_chat_id: Mapped[int | None]
    timezone: Mapped[str]
    active: Mapped[bool]
    meeting_url: Mapped[str | None]

    cities: Mapped[list[City]]
    slots: Mapped[list[Slot]]  # read-only view: a slot names its recruiter

    DEFAULTS: ClassVar[Mapping[str, object]] = {"timezone": "UTC", "active": True}
    RELATIONS: ClassVar[frozenset[str]] = frozenset({"cities", "slots"})

    def problems(self) -> list[Invalid]:
        found: list[Invalid] = []
        check_name(found, "name", self.name, 100)
        check_timezone(found, "timezone", self.timezone)
        if self.meeting_url is not None and not is_valid_meeting_url(self.meeting_url):
            found.append(Invalid("meeting_url", "must be an http(s) URL", self.meeting_url))
        return found

    def __repr__(self) -> str:
        return f"Recruiter(id={self.id!r}, name={self.name!r})"


class Slot(Entity):
    MIN_DURATION: ClassVar[int] = 10
    MAX_DURATION: ClassVar[int] = 480

    id: Mapped[int]
    recruiter_id: Mapped[int]
    city_id: Mapped[int | None]
    start_utc: Mapped[datetime]
    # Always start_utc + duration_min (the persistence side keeps it in step on every write);
    # stored so that the database can refuse overlaps on a plain range.
    end_utc: Mapped[datetime]
    duration_min: Mapped[int]
    status: Mapped[SlotStatus]
    candidate_telegram_id: Mapped[int | None]
    candidate_name: Mapped[str | None]
    candidate_timezone: Mapped[str | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Optimistic concurrency: a write whose version moved underneath it is refused.
    version: Mapped[int]

    recruiter: Mapped[Recruiter]
    city: Mapped[City | None]

    DEFAULTS: ClassVar[Mapping[str, object]] = {"status": SlotStatus.FREE, "duration_min": 60}
    RELATIONS: ClassVar[frozenset[str]] = frozenset({"recruiter", "city"})

    def problems(self) -> list[Invalid]:
        found: list[Invalid] = []
        check_aware(found, "start_utc", self.start_utc)
        duration = self.duration_min
        if (
            not isinstance(duration, int)
            or isinstance(duration, bool)
            or not self.MIN_DURATION <= duration <= self.MAX_DURATION
        ):
            found.append(
                Invalid(
                    "duration_min",
                    f"must be between {self.MIN_DURATION} and {self.MAX_DURATION} minutes",
                    duration,
                )
            )
        if self.candidate_timezone is not None:
            check_timezone(found, "candidate_timezone", self.candidate_timezone)
        if self.candidate_name is not None and len(self.candidate_name) > 100:
            found.append(Invalid("candidate_name", "must be at most 100 characters"))
        return found

    @property
    def is_active(self) -> bool:
        return SlotStatus(self.status) in ACTIVE_STATUSES

    def overlaps(self, other_start: datetime, other_end: datetime) -> bool:
        return self.start_utc < other_end and other_start < self.compute_end()

    def compute_end(self) -> datetime:
        return self.start_utc + timedelta(minutes=self.duration_min)

    # transitions --------------------------------------------------------------------------

    def _move(self, action: str) -> None:
        target = next_status(self.status, action)
        if target is None:
            raise TransitionRejected(action, SlotStatus(self.status).value)
        self.status = target

    def _require_holder(self, telegram_id: int) -> None:
        if self.candidate_telegram_id != telegram_id:
            raise NotHolder(f"slot {self.id} is not held by candidate {telegram_id}")

    def book(self, telegram_id: int, name: str, timezone_name: str | None = None) -> None:
        self._move("book")
        self.candidate_telegram_id = telegram_id
        self.candidate_name = name
        self.candidate_timezone = timezone_name

    def approve(self) -> None:
        self._move("approve")

    def confirm(self, telegram_id: int) -> None:
        if next_status(self.status, "confirm") is not None:
            self._require_holder(telegram_id)
        self._move("confirm")

    def release(self, telegram_id: int | None = None) -> None:
        """Free the slot; with a telegram_id, only its holder may do it."""
        if telegram_id is not None and next_status(self.status, "release") is not None:
            self._require_holder(telegram_id)
        self._move("release")
        self.candidate_telegram_id = None
        self.candidate_name = None
        self.candidate_timezone = None

    def cancel(self) -> None:
        self._move("cancel")

    def __repr__(self) -> str:
        return f"Slot(id={self.id!r}, start_utc={self.start_utc!r}, status={self.status!r})"


class User(Entity):
    """A candidate, known by the Telegram id the bot sees."""

    id: Mapped[int]
    telegram_id: Mapped[int]
    name: Mapped[str]
    city_id: Mapped[int | None]
    timezone: Mapped[str | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    def problems(self) -> list[Invalid]:
        found: list[Invalid] = []
        check_name(found, "name", self.name, 100)
        if self.timezone is not None:
            check_timezone(found, "timezone", self.timezone)
        return found

    def __repr__(self) -> str:
        return f"User(id={self.id!r}, telegram_id={self.telegram_id!r})"


Candidate = User


class Template(Entity):
    """A message text by key; a city's own text wins over the global one (city_id None)."""

    id: Mapped[int]
    city_id: Mapped[int | None]
    key: Mapped[str]
    text: Mapped[str]

    city: Mapped[City | None]

    RELATIONS: ClassVar[frozenset[str]] = frozenset({"city"})

    def problems(self) -> list[Invalid]:
        found: list[Invalid] = []
        check_name(found, "key", self.key, 50)
        if not isinstance(self.text, str):
            found.append(Invalid("text", "must be a string", self.text))
        return found

    def __repr__(self) -> str:
        return f"Template(id={self.id!r}, city_id={self.city_id!r}, key={self.key!r})"
