"""Typed cache payloads: ORM entities <-> msgspec DTOs <-> msgpack bytes. Never pickle.

A cached value is an entity, a list of entities, or a plain scalar. Entities travel as tagged
msgspec Structs holding every column and the relations the read path had loaded (a relation
that was not loaded stays ``UNSET`` and is not loaded on the way back either). On a hit the
same ORM type is rebuilt and attached to the caller's session as if it had been loaded there:
its attributes are committed state (no pending changes), so it can be changed and passed to
``update()`` in the same unit of work. An entity already in the session's identity map wins, as
it does for a query. Bytes that do not decode are reported as ``None`` (a miss).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeAlias

import msgspec
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from slotwise.domain.models import Base, City, Recruiter, Slot, Template, User
from slotwise.persistence.repository.base import Page

UNSET = msgspec.UNSET
UnsetType = msgspec.UnsetType


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
    status: str
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


EntityDTO: TypeAlias = CityDTO | RecruiterDTO | SlotDTO | UserDTO | TemplateDTO


class PageDTO(msgspec.Struct, tag="Page"):
    """A ``Page`` of entities: items and total were read together, so they stay consistent."""

    items: list[EntityDTO]
    total: int
    limit: int
    offset: int


#: What a cached payload decodes to: an entity, a list or page of them, or a JSON-like scalar.
Payload: TypeAlias = EntityDTO | PageDTO | list[EntityDTO] | str | int | float | bool

DTO_FOR: dict[type[Base], type[EntityDTO]] = {
    City: CityDTO,
    Recruiter: RecruiterDTO,
    Slot: SlotDTO,
    User: UserDTO,
    Template: TemplateDTO,
}
MODEL_FOR: dict[type[Any], type[Base]] = {dto: model for model, dto in DTO_FOR.items()}

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Payload)


def _fields(dto: type[EntityDTO]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(column fields, relation fields) of a DTO, by the model's mapper."""
    mapper = sa_inspect(MODEL_FOR[dto])
    relations = set(mapper.relationships.keys())
    names = dto.__struct_fields__
    return (
        tuple(n for n in names if n not in relations),
        tuple(n for n in names if n in relations),
    )


_FIELDS = {dto: _fields(dto) for dto in MODEL_FOR}


def shape_fingerprint() -> str:
    """A short hash of every DTO's fields and types: part of the key schema version, so a
    deploy that changes a cached shape never reads payloads of the old shape."""
    shapes: list[type[msgspec.Struct]] = [*MODEL_FOR, PageDTO]
    text = repr([(dto.__name__, msgspec.json.schema(dto)) for dto in shapes])
    return hashlib.sha256(text.encode()).hexdigest()[:8]


# --- ORM -> DTO ------------------------------------------------------------------------------


class NotCacheable(Exception):
    """The value cannot be cached as it is (e.g. an entity with expired columns)."""


def to_dto(entity: Base) -> EntityDTO:
    """``entity`` with its columns and loaded relations (unloaded ones stay UNSET)."""
    dto_type = DTO_FOR[type(entity)]
    columns, relations = _FIELDS[dto_type]
    loaded = entity.__dict__
    missing = [name for name in columns if name not in loaded]
    if missing:  # expired or never loaded: reading them would be I/O
        raise NotCacheable(f"{type(entity).__name__} has unloaded columns {missing}")
    values: dict[str, Any] = {name: loaded[name] for name in columns}
    for name in relations:
        if name not in loaded:
            continue
        related = loaded[name]
        if related is None:
            values[name] = None
        elif isinstance(related, list):
            values[name] = [to_dto(item) for item in related]
        else:
            values[name] = to_dto(related)
    return dto_type(**values)


def _is_entities(value: object) -> bool:
    return isinstance(value, Sequence) and all(
        isinstance(item, Base) and type(item) in DTO_FOR for item in value
    )


def can_encode(value: object) -> bool:
    if isinstance(value, Base):
        return type(value) in DTO_FOR
    if isinstance(value, Page):
        return _is_entities(value.items)
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return all(isinstance(item, Base) and type(item) in DTO_FOR for item in value)
    return isinstance(value, str | int | float | bool)


def encode(value: object) -> bytes:
    """Bytes for an entity, a sequence of entities or a scalar (see ``can_encode``);
    NotCacheable when an entity is not fully loaded."""
    if isinstance(value, Base):
        return _encoder.encode(to_dto(value))
    if isinstance(value, Page):
        items = [to_dto(item) for item in value.items]
        return _encoder.encode(PageDTO(items, value.total, value.limit, value.offset))
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return _encoder.encode([to_dto(item) for item in value])
    return _encoder.encode(value)


def decode(data: bytes | memoryview) -> Payload | None:
    """The payload, or None when the bytes are not a payload of this shape (a miss)."""
    try:
        payload: Payload = _decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return payload


# --- DTO -> ORM ------------------------------------------------------------------------------


def materialize(payload: Payload, session: AsyncSession | None) -> object:
    """The return value a database load would have given, attached to ``session``."""
    if isinstance(payload, list):
        return [_entity(dto, session) for dto in payload]
    if isinstance(payload, PageDTO):
        items = [_entity(dto, session) for dto in payload.items]
        return Page(items, payload.total, payload.limit, payload.offset)
    if isinstance(payload, msgspec.Struct):
        return _entity(payload, session)
    return payload


def _entity(dto: EntityDTO, session: AsyncSession | None) -> Base:
    model = MODEL_FOR[type(dto)]
    columns, relations = _FIELDS[type(dto)]
    existing = _in_identity_map(session, model, dto.id)
    if existing is not None:
        # The session's own copy wins (it may hold changes not yet flushed); only relations it
        # has not loaded are filled in from the cache.
        for name in relations:
            if name not in existing.__dict__:
                _set_relation(existing, name, getattr(dto, name), session)
        return existing
    entity: Base = sa_inspect(model).class_manager.new_instance()
    for name in columns:
        set_committed_value(entity, name, getattr(dto, name))
    for name in relations:
        _set_relation(entity, name, getattr(dto, name), session)
    make_transient_to_detached(entity)
    if session is not None:
        session.add(entity)  # detached -> persistent: no SQL, no pending change
    return entity


def _set_relation(entity: Base, name: str, value: object, session: AsyncSession | None) -> None:
    if value is UNSET:
        return
    if value is None:
        set_committed_value(entity, name, None)
    elif isinstance(value, list):
        set_committed_value(entity, name, [_entity(item, session) for item in value])
    else:
        set_committed_value(entity, name, _entity(value, session))  # type: ignore[arg-type]


def _in_identity_map(session: AsyncSession | None, model: type[Base], ident: int) -> Base | None:
    if session is None:
        return None
    key = sa_inspect(model).identity_key_from_primary_key((ident,))
    found = session.sync_session.identity_map.get(key)
    return found if isinstance(found, Base) else None
