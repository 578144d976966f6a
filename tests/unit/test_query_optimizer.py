"""QueryOptimizer resolves relationship names to attributes; unknown names fail clearly."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Select, select
from sqlalchemy.dialects import postgresql

from slotwise.domain.models import Recruiter, Slot
from slotwise.queries.optimization import (
    BatchResult,
    QueryOptimizer,
    UnknownRelationshipError,
)
from slotwise.repositories.optimized_queries import OptimizedQueries


def _sql(stmt: Select[Any]) -> str:
    return str(stmt.compile(dialect=postgresql.dialect()))  # type: ignore[no-untyped-call]


def test_joined_load_by_name_joins_in_the_same_statement() -> None:
    sql = _sql(QueryOptimizer.with_joined_load(select(Slot), "recruiter", "city"))
    assert "LEFT OUTER JOIN recruiters" in sql
    assert "LEFT OUTER JOIN cities" in sql


def test_dotted_path_resolves_through_the_relationships() -> None:
    sql = _sql(QueryOptimizer.with_joined_load(select(Slot), "recruiter.cities"))
    assert "LEFT OUTER JOIN recruiters" in sql
    assert "recruiter_cities" in sql


def test_select_in_load_keeps_the_main_statement_plain() -> None:
    stmt = QueryOptimizer.with_select_in_load(select(Slot), "recruiter", "city", "recruiter.cities")
    assert "JOIN" not in _sql(stmt)
    assert len(stmt._with_options) == 3


def test_attributes_are_accepted_as_well_as_names() -> None:
    sql = _sql(QueryOptimizer.with_joined_load(select(Slot), Slot.recruiter))
    assert "LEFT OUTER JOIN recruiters" in sql


def test_unknown_name_names_it_and_the_valid_ones() -> None:
    with pytest.raises(UnknownRelationshipError) as caught:
        QueryOptimizer.with_select_in_load(select(Slot), "recruiter", "candidate")
    message = str(caught.value)
    assert "'candidate'" in message
    assert "city, recruiter" in message
    assert caught.value.valid == ("city", "recruiter")


def test_unknown_name_inside_a_path_names_the_entity_it_was_looked_up_on() -> None:
    with pytest.raises(UnknownRelationshipError, match=r"Recruiter has no relationship 'town'"):
        QueryOptimizer.with_joined_load(select(Slot), "recruiter.town")


def test_a_column_is_not_a_relationship() -> None:
    with pytest.raises(UnknownRelationshipError, match="'status'"):
        QueryOptimizer.with_select_in_load(select(Slot), "status")


def test_a_statement_without_an_entity_is_rejected() -> None:
    with pytest.raises(TypeError, match="mapped class"):
        QueryOptimizer.with_select_in_load(select(Slot.id), "recruiter")


def test_eager_load_joins_many_to_one_and_selects_in_collections() -> None:
    stmt = QueryOptimizer.with_eager_load(select(Recruiter), "cities")
    assert "JOIN" not in _sql(stmt)
    stmt = QueryOptimizer.with_eager_load(select(Slot), "recruiter")
    assert "LEFT OUTER JOIN recruiters" in _sql(stmt)


def test_optimized_queries_load_what_the_api_shows() -> None:
    slots = _sql(OptimizedQueries.slots_with_relations())
    assert "LEFT OUTER JOIN recruiters" in slots
    assert "LEFT OUTER JOIN cities" in slots
    recruiters = OptimizedQueries.recruiters_with_cities()
    assert "JOIN" not in _sql(recruiters)
    assert recruiters._with_options


def test_batch_result_is_a_sequence_with_missing_ids() -> None:
    a, b = Slot(id=1), Slot(id=2)
    result = BatchResult((a, b), (9,), {1: a, 2: b})
    assert list(result) == [a, b]
    assert len(result) == 2
    assert result[0] is a
    assert result[-1] is b
    assert result.get(2) is b
    assert result.get(9) is None
    assert result.missing == (9,)
