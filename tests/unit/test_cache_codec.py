"""The cached shapes: every column travels, unloaded relations stay unloaded, bad bytes miss."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Mapper

from slotwise.cache import codec as cache_codec
from slotwise.domain.models import City, Recruiter, Slot
from slotwise.repositories.cache_entities import DTO_FOR


@pytest.mark.parametrize("model", list(DTO_FOR))
def test_every_column_of_the_model_is_in_its_dto(model: type) -> None:
    mapper: Mapper[Any] = sa_inspect(model)
    columns = {attr.key for attr in mapper.column_attrs}
    assert columns <= set(DTO_FOR[model].__struct_fields__)


def test_round_trip_keeps_types_and_loaded_relations_only() -> None:
    moscow = City(id=1, name="Moscow", timezone="Europe/Moscow", active=True,
                  responsible_recruiter_id=None)  # fmt: skip
    anna = Recruiter(id=2, name="Anna", timezone="UTC", active=True, cities=[moscow],
                     telegram_chat_id=None, meeting_url=None)  # fmt: skip
    start = datetime(2031, 1, 1, 9, tzinfo=UTC)
    slot = Slot(id=3, recruiter_id=2, city_id=None, start_utc=start, duration_min=30,
                status="free", version=1, created_at=start, updated_at=start,
                candidate_telegram_id=None, candidate_name=None,
                candidate_timezone=None)  # fmt: skip
    slot.end_utc = slot.compute_end()
    slot.recruiter = anna  # loaded; city not loaded at all

    payload = cache_codec.decode(cache_codec.encode([slot]))
    assert isinstance(payload, list)
    entities = cache_codec.materialize(payload, None)
    assert isinstance(entities, list)
    [again] = entities
    assert isinstance(again, Slot) and again.start_utc == start and again.start_utc.tzinfo
    assert again.recruiter.name == "Anna" and again.recruiter.cities[0].name == "Moscow"
    assert "city" not in again.__dict__  # not loaded before, not loaded now


def test_scalars_round_trip_and_garbage_is_a_miss() -> None:
    for value in ("text", 5, 2.5, True):
        assert cache_codec.decode(cache_codec.encode(value)) == value
    assert cache_codec.decode(b"\xc1\xff") is None
    assert not cache_codec.can_encode(object())


def test_an_entity_with_unloaded_columns_is_not_cacheable() -> None:
    with pytest.raises(cache_codec.NotCacheable):
        cache_codec.encode(City(id=1, name="Moscow"))
