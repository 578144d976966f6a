"""Request and response shapes of the HTTP API (pydantic), kept apart from the ORM models.

Bodies forbid unknown fields; ids are bounded to 64 bits (what the database stores); every
datetime must carry an offset and lie in ``[EARLIEST, LATEST)`` (see ``ApiDatetime``);
timezones must be IANA names; text must be valid UTF-8 without NUL (PostgreSQL rejects both,
and a client must get a 422 for them, not a 500).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from slotwise.api.render import city_dict, recruiter_dict, slot_dict, template_dict
from slotwise.domain.audit import ActorRole, SlotEvent
from slotwise.domain.models import City, Recruiter, Slot, SlotStatus, Template, is_valid_timezone

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)

#: The instants the API accepts: from EARLIEST (inclusive) to LATEST (exclusive). Why these:
#: far inside what PostgreSQL's timestamptz and Python's datetime hold, so that converting any
#: accepted value to another offset, or adding a slot's duration to it, cannot overflow (the
#: cache key builders and the overlap checks do both); a year-9999 or year-1 input is a 422.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
#: The most slots one bulk create may carry (more is a 422).
MAX_BULK_SLOTS = 500

Id = Annotated[int, Field(ge=1, le=INT64_MAX, description="a positive 64-bit id")]
TelegramId = Annotated[int, Field(ge=1, le=INT64_MAX, description="the candidate's Telegram id")]
ChatId = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX, description="a Telegram chat id")]


def _clean_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates)") from None
    return value


def _non_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _timezone(value: str) -> str:
    if not is_valid_timezone(value):
        raise ValueError("must be an IANA timezone name like Europe/Moscow")
    return value


def _http_url(value: str) -> str:
    from slotwise.domain.models import is_valid_meeting_url

    if not is_valid_meeting_url(value):
        raise ValueError("must be an http(s) URL")
    return value


def _in_range(value: datetime) -> datetime:
    # Aware datetimes compare as instants (no conversion, so no overflow at the extremes).
    if not EARLIEST <= value < LATEST:
        raise ValueError(
            f"must be from {EARLIEST:%Y-%m-%dT%H:%M:%SZ} up to (not including) "
            f"{LATEST:%Y-%m-%dT%H:%M:%SZ}"
        )
    return value


#: Every datetime the API accepts, in a body or a query: with an offset, within the range.
ApiDatetime = Annotated[AwareDatetime, AfterValidator(_in_range)]

CleanText = Annotated[str, AfterValidator(_clean_text)]
Name120 = Annotated[
    str,
    Field(min_length=1, max_length=120),
    AfterValidator(_clean_text),
    AfterValidator(_non_blank),
]
Name100 = Annotated[
    str,
    Field(min_length=1, max_length=100),
    AfterValidator(_clean_text),
    AfterValidator(_non_blank),
]
TemplateKey = Annotated[
    str, Field(min_length=1, max_length=50), AfterValidator(_clean_text), AfterValidator(_non_blank)
]
TemplateText = Annotated[str, Field(max_length=4000), AfterValidator(_clean_text)]
Timezone = Annotated[
    str,
    Field(min_length=1, max_length=64, examples=["Europe/Moscow"]),
    AfterValidator(_timezone),
]
MeetingUrl = Annotated[
    str, Field(max_length=500), AfterValidator(_clean_text), AfterValidator(_http_url)
]
Duration = Annotated[int, Field(ge=Slot.MIN_DURATION, le=Slot.MAX_DURATION)]


class Body(BaseModel):
    """Base of every request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Patch(Body):
    """A partial update: only the fields sent change; ``null`` only where a field may be null."""

    not_nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _nulls(self) -> Self:
        for name in self.model_fields_set:
            if name in self.not_nullable and getattr(self, name) is None:
                raise ValueError(f"{name} may not be null")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


# --- lists ------------------------------------------------------------------------------------

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


# --- cities -----------------------------------------------------------------------------------


class CityOut(BaseModel):
    id: int
    name: str
    timezone: str
    active: bool
    responsible_recruiter_id: int | None

    @classmethod
    def of(cls, city: City) -> CityOut:
        return cls.model_validate(city_dict(city))


class CityCreate(Body):
    name: Name120
    timezone: Timezone
    active: bool = True
    responsible_recruiter_id: Id | None = None


class CityUpdate(Patch):
    not_nullable: ClassVar[frozenset[str]] = frozenset({"name", "timezone", "active"})

    name: Name120 | None = None
    timezone: Timezone | None = None
    active: bool | None = None
    responsible_recruiter_id: Id | None = None


# --- recruiters -------------------------------------------------------------------------------


class RecruiterOut(BaseModel):
    id: int
    name: str
    telegram_chat_id: int | None
    timezone: str
    active: bool
    meeting_url: str | None
    city_ids: list[int]

    @classmethod
    def of(cls, recruiter: Recruiter) -> RecruiterOut:
        return cls.model_validate(recruiter_dict(recruiter))


class RecruiterCreate(Body):
    name: Name100
    timezone: Timezone = "UTC"
    telegram_chat_id: ChatId | None = None
    active: bool = True
    meeting_url: MeetingUrl | None = None
    city_ids: list[Id] = Field(default_factory=list, max_length=500)


class RecruiterUpdate(Patch):
    not_nullable: ClassVar[frozenset[str]] = frozenset({"name", "timezone", "active", "city_ids"})

    name: Name100 | None = None
    timezone: Timezone | None = None
    telegram_chat_id: ChatId | None = None
    active: bool | None = None
    meeting_url: MeetingUrl | None = None
    city_ids: list[Id] | None = Field(default=None, max_length=500)


# --- slots ------------------------------------------------------------------------------------


class Ref(BaseModel):
    id: int
    name: str


class CandidateOut(BaseModel):
    telegram_id: int
    name: str | None
    timezone: str | None


_CANDIDATE_DESCRIPTION = (
    "the candidate holding the slot; null when it is free, and always null in slot lists and "
    "single slots read with a bot token (they show the status only)"
)


class SlotOut(BaseModel):
    id: int
    recruiter_id: int
    city_id: int | None
    start_utc: datetime
    duration_min: int
    status: SlotStatus
    candidate: CandidateOut | None = Field(description=_CANDIDATE_DESCRIPTION)
    recruiter: Ref
    city: Ref | None

    @classmethod
    def of(cls, slot: Slot) -> SlotOut:
        # One description of the shape: the same dict the hot read routes render directly.
        return cls.model_validate(slot_dict(slot))


class SlotCreate(Body):
    recruiter_id: Id
    city_id: Id | None = None
    start_utc: ApiDatetime = Field(examples=["2026-12-01T09:00:00Z"])
    duration_min: Duration = 60


class SlotBulkCreate(Body):
    slots: list[SlotCreate] = Field(
        min_length=1, max_length=MAX_BULK_SLOTS, description=f"1 to {MAX_BULK_SLOTS} slots"
    )


class BookRequest(Body):
    telegram_id: TelegramId
    name: Name100
    timezone: Timezone | None = None


class CandidateRequest(Body):
    telegram_id: TelegramId


class RescheduleRequest(Body):
    telegram_id: TelegramId
    new_slot_id: Id


class SlotEventOut(BaseModel):
    """One booking transition of a slot's audit trail."""

    id: int
    slot_id: int
    action: str = Field(description="book, approve, confirm, release, cancel or reschedule")
    from_status: SlotStatus
    to_status: SlotStatus
    actor_role: ActorRole = Field(description="the role of the token that made the change")
    candidate_telegram_id: int | None = Field(
        description="the candidate the change is about (who booked, or who held the slot)"
    )
    related_slot_id: int | None = Field(description="reschedule: the other slot of the move")
    at: datetime

    @classmethod
    def of(cls, event: SlotEvent) -> SlotEventOut:
        return cls(
            id=event.id,
            slot_id=event.slot_id,
            action=event.action,
            from_status=event.from_status,
            to_status=event.to_status,
            actor_role=event.actor_role,
            candidate_telegram_id=event.candidate_telegram_id,
            related_slot_id=event.related_slot_id,
            at=event.at,
        )


# --- templates --------------------------------------------------------------------------------


class TemplateOut(BaseModel):
    id: int
    city_id: int | None
    key: str
    text: str

    @classmethod
    def of(cls, template: Template) -> TemplateOut:
        return cls.model_validate(template_dict(template))


class TemplateCreate(Body):
    city_id: Id | None = None
    key: TemplateKey
    text: TemplateText


class TemplateUpdate(Patch):
    not_nullable: ClassVar[frozenset[str]] = frozenset({"key", "text"})

    city_id: Id | None = None
    key: TemplateKey | None = None
    text: TemplateText | None = None


# --- health -----------------------------------------------------------------------------------


class Liveness(BaseModel):
    status: str = "ok"


class Readiness(BaseModel):
    status: str = Field(description="`ok`, or `unavailable` when the database is down")
    database: str = Field(description="`ok` or `down`")
    cache: str = Field(description="`ok`, `disabled` or `degraded`")
