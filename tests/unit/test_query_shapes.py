"""Statement shapes: literals and parameters stripped, so repeats of one query look alike."""

from __future__ import annotations

import pytest

from slotwise.queries.counter import (
    QueryScope,
    active_scopes,
    normalize_statement,
    query_scope,
    statement_kind,
)


@pytest.mark.parametrize(
    ("sql", "shape"),
    [
        ("SELECT * FROM slots WHERE id = ?", "SELECT * FROM slots WHERE id = ?"),
        ("SELECT * FROM slots WHERE id = $1", "SELECT * FROM slots WHERE id = ?"),
        ("SELECT * FROM slots WHERE id = :id_1", "SELECT * FROM slots WHERE id = ?"),
        ("SELECT * FROM slots WHERE id = %(id_1)s", "SELECT * FROM slots WHERE id = ?"),
        ("SELECT * FROM slots WHERE id = 42", "SELECT * FROM slots WHERE id = ?"),
        ("SELECT * FROM t WHERE name = 'O''Brien'", "SELECT * FROM t WHERE name = ?"),
        ("SELECT * FROM t WHERE x = -1.5", "SELECT * FROM t WHERE x = ?"),
        ("SELECT * FROM t WHERE id IN ($1, $2, $3)", "SELECT * FROM t WHERE id IN (?...)"),
        ("SELECT * FROM t WHERE id IN (?,?)", "SELECT * FROM t WHERE id IN (?...)"),
        ("SELECT a\n  FROM   t\tLIMIT 10", "SELECT a FROM t LIMIT ?"),
    ],
)
def test_literals_and_parameters_become_placeholders(sql: str, shape: str) -> None:
    assert normalize_statement(sql) == shape


def test_names_with_digits_and_casts_are_kept() -> None:
    sql = "SELECT anon_1.slots_id, x::text FROM (SELECT 1) AS anon_1 WHERE y = $2"
    assert normalize_statement(sql) == (
        "SELECT anon_1.slots_id, x::text FROM (SELECT ?) AS anon_1 WHERE y = ?"
    )


def test_in_lists_of_any_length_share_one_shape() -> None:
    one = normalize_statement("SELECT * FROM t WHERE id IN ($1, $2)")
    many = normalize_statement("SELECT * FROM t WHERE id IN (" + ", ".join(["?"] * 500) + ")")
    assert one == many


def test_different_queries_keep_different_shapes() -> None:
    a = normalize_statement("SELECT * FROM slots WHERE id = $1")
    b = normalize_statement("SELECT * FROM recruiters WHERE id = $1")
    assert a != b


@pytest.mark.parametrize(
    ("shape", "kind"),
    [
        ("SELECT 1", "SELECT"),
        ("select 1", "SELECT"),
        ("(SELECT 1) UNION (SELECT 2)", "SELECT"),
        ("INSERT INTO t VALUES (?)", "INSERT"),
        ("WITH x AS (SELECT ?) UPDATE t SET a = ?", "SELECT"),
        ("SAVEPOINT sa_savepoint_1", "SAVEPOINT"),
    ],
)
def test_statement_kind(shape: str, kind: str) -> None:
    assert statement_kind(shape) == kind


def test_scope_counts_every_statement_and_keeps_a_bounded_record() -> None:
    scope = QueryScope(max_recorded=3)
    for i in range(10):
        scope.record(f"SELECT * FROM t WHERE id = {i}", (i,), ("app.py:1",))
    assert scope.count == 10
    assert len(scope.statements) == 3
    assert scope.by_site[("SELECT * FROM t WHERE id = ?", ("app.py:1",))] == 10
    assert scope.shapes() == {"SELECT * FROM t WHERE id = ?": 10}
    assert all(s.parameters is None for s in scope.statements)
    assert "and 7 more" in scope.describe(limit=3)


def test_scope_keeps_parameters_only_when_asked() -> None:
    scope = QueryScope(keep_parameters=True)
    scope.record("SELECT $1", ("secret",), ())
    assert scope.statements[0].parameters == ("secret",)
    assert "secret" not in scope.describe()


def test_scopes_nest_and_unwind() -> None:
    assert active_scopes() == ()
    with query_scope("outer") as outer:
        with query_scope("inner") as inner:
            assert active_scopes() == (outer, inner)
        assert active_scopes() == (outer,)
    assert active_scopes() == ()
