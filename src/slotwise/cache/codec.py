"""Typed cache payloads: mapped entities <-> msgspec DTOs <-> msgpack bytes. Never pickle.

A cached value is an entity, a list or ``Page`` of entities, or a plain scalar. Entities travel
as tagged msgspec Structs holding every column and the relations the read path had loaded (a
relation that was not loaded stays ``UNSET`` and is not loaded on the way back either). On a
hit the same mapped type is rebuilt and attached to the caller's session as if it had been
loaded there: its attributes are committed state (no pending changes), so it can be changed
and passed to ``update()`` in the same unit of work. An entity already in the session's
identity map wins, as it does for a query. Bytes that do not decode are reported as ``None``.

The engine knows no entity of its own: the application registers each mapped class with its
DTO (``register_entities``), which also changes the shape fingerprint in every value key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias, Union

import msgspec
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from slotwise.persistence.repository.base import Page

UNSET = msgspec.UNSET
UnsetType = msgspec.UnsetType

#: What a cached payload decodes to: a DTO, a page or list of them, or a JSON-like scalar.
Payload: TypeAlias = Any
Entity: TypeAlias = Any

DTO_FOR: dict[type[Any], type[msgspec.Struct]] = {}
MODEL_FOR: dict[type[Any], type[Any]] = {}
_FIELDS: dict[type[Any], tuple[tuple[str, ...], tuple[str, ...]]] = {}


class _State:
    """What depends on the registered DTOs: rebuilt by each ``register_entities``."""

    def __init__(self, dtos: Sequence[type[msgspec.Struct]]) -> None:
        entity: Any = Union.__getitem__(tuple(dtos)) if dtos else msgspec.Struct
        entities: Any = list[entity]
        self.page = msgspec.defstruct(
            "PageDTO",
            [("items", entities), ("total", int), ("limit", int), ("offset", int)],
            tag="Page",
        )
        shapes: list[type[msgspec.Struct]] = [*dtos, self.page]
        payload: Any = Union.__getitem__((*dtos, self.page, entities, str, int, float, bool))
        self.decoder: msgspec.msgpack.Decoder[Any] = msgspec.msgpack.Decoder(payload)
        text = repr([(dto.__name__, msgspec.json.schema(dto)) for dto in shapes])
        self.fingerprint = hashlib.sha256(text.encode()).hexdigest()[:8]


_state = _State(())
_encoder = msgspec.msgpack.Encoder()


def register_entities(dto_for: Mapping[type[Any], type[msgspec.Struct]]) -> None:
    """Make ``model -> dto`` pairs cacheable (the DTO's fields: the model's columns and the
    relations a read path may load)."""
    global _state
    for model, dto in dto_for.items():
        DTO_FOR[model] = dto
        MODEL_FOR[dto] = model
        _FIELDS[dto] = _fields(model, dto)
    _state = _State(list(MODEL_FOR))


def _fields(model: type[Any], dto: type[msgspec.Struct]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(column fields, relation fields) of a DTO, by the model's mapper."""
    relations = set(sa_inspect(model).relationships.keys())
    names = dto.__struct_fields__
    return (
        tuple(n for n in names if n not in relations),
        tuple(n for n in names if n in relations),
    )


def shape_fingerprint() -> str:
    """A short hash of every registered DTO's fields and types: part of the key schema
    version, so a deploy that changes a cached shape never reads payloads of the old shape."""
    return _state.fingerprint


# --- ORM -> DTO ------------------------------------------------------------------------------


class NotCacheable(Exception):
    """The value cannot be cached as it is (e.g. an entity with expired columns)."""


def to_dto(entity: Entity) -> msgspec.Struct:
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
    return isinstance(value, Sequence) and all(type(item) in DTO_FOR for item in value)


def can_encode(value: object) -> bool:
    if type(value) in DTO_FOR:
        return True
    if isinstance(value, Page):
        return _is_entities(value.items)
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return all(type(item) in DTO_FOR for item in value)
    return isinstance(value, str | int | float | bool)


def encode(value: object) -> bytes:
    """Bytes for an entity, a sequence of entities or a scalar (see ``can_encode``);
    NotCacheable when an entity is not fully loaded."""
    if type(value) in DTO_FOR:
        return _encoder.encode(to_dto(value))
    if isinstance(value, Page):
        items = [to_dto(item) for item in value.items]
        return _encoder.encode(_state.page(items, value.total, value.limit, value.offset))
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return _encoder.encode([to_dto(item) for item in value])
    return _encoder.encode(value)


def decode(data: bytes | memoryview) -> Payload | None:
    """The payload, or None when the bytes are not a payload of this shape (a miss)."""
    try:
        payload: Payload = _state.decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return payload


# --- DTO -> ORM ------------------------------------------------------------------------------


def materialize(payload: Payload, session: AsyncSession | None) -> object:
    """The return value a database load would have given, attached to ``session``."""
    if isinstance(payload, list):
        return [_entity(dto, session) for dto in payload]
    if isinstance(payload, _state.page):
        page: Any = payload
        items = [_entity(dto, session) for dto in page.items]
        return Page(items, page.total, page.limit, page.offset)
    if isinstance(payload, msgspec.Struct):
        return _entity(payload, session)
    return payload


def _entity(dto: msgspec.Struct, session: AsyncSession | None) -> Entity:
    model = MODEL_FOR[type(dto)]
    columns, relations = _FIELDS[type(dto)]
    existing = _in_identity_map(session, model, dto.id)  # type: ignore[attr-defined]
    if existing is not None:
        # The session's own copy wins (it may hold changes not yet flushed); only relations it
        # has not loaded are filled in from the cache.
        for name in relations:
            if name not in existing.__dict__:
                _set_relation(existing, name, getattr(dto, name), session)
        return existing
    entity = sa_inspect(model).class_manager.new_instance()
    for name in columns:
        set_committed_value(entity, name, getattr(dto, name))
    for name in relations:
        _set_relation(entity, name, getattr(dto, name), session)
    make_transient_to_detached(entity)
    if session is not None:
        session.add(entity)  # detached -> persistent: no SQL, no pending change
    return entity


def _set_relation(entity: Entity, name: str, value: object, session: AsyncSession | None) -> None:
    if value is UNSET:
        return
    if value is None:
        set_committed_value(entity, name, None)
    elif isinstance(value, list):
        set_committed_value(entity, name, [_entity(item, session) for item in value])
    else:
        set_committed_value(entity, name, _entity(value, session))  # type: ignore[arg-type]


def _in_identity_map(session: AsyncSession | None, model: type[Any], ident: int) -> Entity | None:
    if session is None:
        return None
    key = sa_inspect(model).identity_key_from_primary_key((ident,))
    found = session.sync_session.identity_map.get(key)
    return found if type(found) is model else None
