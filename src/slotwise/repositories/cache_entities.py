"""How slotwise's entities travel through the cache: one msgspec DTO per mapped class, holding
its columns and the relations its read paths load. Registered with the cache engine at import
(``slotwise.repositories`` imports this module before any repository can cache)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from slotwise.cache.codec import UNSET, UnsetType, register_entities
from slotwise.domain.models import City, Recruiter, Slot, SlotStatus, Template, User


class CityDTO(msgspec.Struct, tag="City", omit_defaults=True):
    id: int
    name: str
    timezone: str
    active: bool
    responsible_recruiter_id: int | None


class RecruiterDTO(msgspec.Struct, tag="Recruiter", omit_defaults=True):
    id: int
    name: str
    telegram_chat_id: int | None
    timezone: str
    active: bool
    meeting_url: str | None
    cities: list[CityDTO] | UnsetType = UNSET


class SlotDTO(msgspec.Struct, tag="Slot", omit_defaults=True):
    id: int
    recruiter_id: int
    city_id: int | None
    start_utc: datetime
    end_utc: datetime
    duration_min: int
    #: The enum, not its value: a hit must give what a miss gives (``slot.status.value``).
    status: SlotStatus
    candidate_telegram_id: int | None
    candidate_name: str | None
    candidate_timezone: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    recruiter: RecruiterDTO | UnsetType = UNSET
    city: CityDTO | UnsetType | None = UNSET


class UserDTO(msgspec.Struct, tag="User", omit_defaults=True):
    id: int
    telegram_id: int
    name: str
    city_id: int | None
    timezone: str | None
    created_at: datetime
    updated_at: datetime


class TemplateDTO(msgspec.Struct, tag="Template", omit_defaults=True):
    id: int
    city_id: int | None
    key: str
    text: str
    city: CityDTO | UnsetType | None = UNSET


DTO_FOR: dict[type, type[msgspec.Struct]] = {
    City: CityDTO,
    Recruiter: RecruiterDTO,
    Slot: SlotDTO,
    User: UserDTO,
    Template: TemplateDTO,
}

register_entities(DTO_FOR)
